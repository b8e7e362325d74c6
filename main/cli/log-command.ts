import type { AuditEntry } from '../../shared/model.ts';
import { sleep, type StateStore } from '../engine/public.ts';
import type { Output } from './output.ts';
import { table } from './output.ts';

interface LogQuery {
  task?: string;
  since?: string;
  limit?: number;
}

/** How often `log --follow` looks for new entries. */
const FOLLOW_POLL_MS = 200;

function human(e: AuditEntry): string {
  const version = e.new_version != null ? ` v${e.old_version ?? '-'}→v${e.new_version}` : '';
  return `${e.timestamp}  ${e.change_type.padEnd(19)} ${(e.task_id ?? e.session_id ?? e.checkpoint_id ?? '').padEnd(16)}${version}  ${e.owner || `pid ${e.process_id}`}  ${e.description}`;
}

export async function printLog(store: StateStore, out: Output, query: LogQuery): Promise<void> {
  const entries = await store.readAuditLog(query);
  out.result(entries, () => (entries.length ? entries.map(human).join('\n') : table([], [])));
}

/** Print matching lines, then every new line as it is appended (one JSON line each with --json). */
export async function followLog(store: StateStore, out: Output, query: LogQuery): Promise<number> {
  // The reader is positioned first, so nothing appended from here on is missed;
  // what the listing below already printed is not printed twice.
  const reader = store.openLogReader('audit');
  await reader.readNew(); // the recent tail, printed (filtered) by the listing instead
  const printed = new Set<string>();
  for (const e of await store.readAuditLog(query)) {
    printed.add(JSON.stringify(e));
    out.line(e, human(e));
  }
  let stop = false;
  const onSignal = () => (stop = true);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  while (!stop) {
    await sleep(FOLLOW_POLL_MS);
    const entries = await reader.readNew();
    for (const e of entries) {
      if (printed.size > 0 && printed.delete(JSON.stringify(e))) continue;
      if (!query.task || e.task_id === query.task) out.line(e, human(e));
    }
    printed.clear(); // only the first batch can overlap the listing
  }
  return 0;
}
