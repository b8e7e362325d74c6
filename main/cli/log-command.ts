import { readFileSync, statSync } from 'node:fs';
import type { AuditEntry } from '../../shared/model.ts';
import { logFiles, parseJsonLines, sleep, type StateStore } from '../engine/public.ts';
import type { Output } from './output.ts';
import { table } from './output.ts';

interface LogQuery {
  task?: string;
  since?: string;
  limit?: number;
}

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
  for (const e of await store.readAuditLog(query)) out.line(e, human(e));
  const offsets = new Map<string, number>();
  for (const file of logFiles(store.layout.logsDir, 'audit')) offsets.set(file, statSync(file).size);
  let stop = false;
  const onSignal = () => (stop = true);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  while (!stop) {
    await sleep(200);
    for (const file of logFiles(store.layout.logsDir, 'audit')) {
      let size: number;
      try {
        size = statSync(file).size;
      } catch {
        continue;
      }
      const from = offsets.get(file) ?? 0;
      if (size <= from) continue;
      const text = readFileSync(file).subarray(from, size).toString('utf8');
      // Only consume complete lines; a partial last line is read on the next pass.
      const end = text.lastIndexOf('\n') + 1;
      offsets.set(file, from + Buffer.byteLength(text.slice(0, end)));
      for (const e of parseJsonLines<AuditEntry>(text.slice(0, end))) {
        if (!query.task || e.task_id === query.task) out.line(e, human(e));
      }
    }
  }
  return 0;
}
