// `lockstep migrate --from DIR --to-etcd URLS` and back
// (`--from-etcd URLS --to DIR`): copies every task's history, the sessions
// and the checkpoints from one store to another. `--dry-run` prints what
// would be copied and writes nothing; a second run copies nothing ('same');
// an item the target holds differently is refused and left as it is (exit 3).
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import {
  InvalidInputError,
  NotFoundError,
  VersionConflictError,
  transferState,
  type StateStore,
  type TransferItem,
  type TransferReport,
} from '../engine/public.ts';
import type { Flags } from './args.ts';
import type { Output } from './output.ts';
import { describeTarget, etcdConnectionFlags, openTarget, type StoreTarget } from './store-target.ts';

export const MIGRATE_USAGE = 'lockstep migrate (--from DIR | --from-etcd URLS) (--to DIR | --to-etcd URLS) [--namespace NS] [--dry-run]';

export async function migrateCommand(flags: Flags, out: Output, rest: string[]): Promise<number> {
  if (rest.length > 0) throw new InvalidInputError(`unexpected argument ${JSON.stringify(rest[0])} (usage: ${MIGRATE_USAGE})`);
  const { source, target } = migrateTargets(flags);
  const dryRun = flags.bool('dry-run');
  flags.assertAllUsed();
  if (source.kind === 'files' && !existsSync(source.root!))
    throw new NotFoundError(`nothing to migrate: the state folder ${source.root} does not exist`);

  const from = openTarget(source);
  let to: StateStore | undefined;
  try {
    to = openTarget(target);
    const report = await transferState(from, to, { dryRun });
    const document = { from: from.location, to: to.location, ...report };
    out.result(document, () => describeReport(report, source, target));
    if (report.conflicts > 0) {
      const ids = report.items.filter((i) => i.outcome === 'conflict').map((i) => `${i.kind} ${i.id}`);
      // The report is printed; the error line and exit 3 say the copy is incomplete.
      return out.error(
        new VersionConflictError(
          `${report.conflicts} item(s) differ in the target and were not copied: ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''}`,
          null,
          null,
        ),
      );
    }
    return 0;
  } finally {
    await from.close();
    await to?.close();
  }
}

/** Source and target from --from/--from-etcd and --to/--to-etcd; exactly one of each. */
export function migrateTargets(flags: Flags): { source: StoreTarget; target: StoreTarget } {
  if (flags.string('etcd') !== undefined || flags.string('root') !== undefined) {
    throw new InvalidInputError(
      `migrate names both stores itself: use --from/--from-etcd and --to/--to-etcd, not --root or --etcd (usage: ${MIGRATE_USAGE})`,
    );
  }
  const connection = etcdConnectionFlags(flags);
  const side = (dirFlag: string, etcdFlag: string): StoreTarget => {
    const dir = flags.string(dirFlag);
    const urls = flags.string(etcdFlag);
    if ((dir === undefined) === (urls === undefined))
      throw new InvalidInputError(`give one of --${dirFlag} DIR or --${etcdFlag} URLS (usage: ${MIGRATE_USAGE})`);
    return dir !== undefined ? { kind: 'files', root: resolve(dir) } : connection.open(urls!);
  };
  const source = side('from', 'from-etcd');
  const target = side('to', 'to-etcd');
  if (describeTarget(source) === describeTarget(target))
    throw new InvalidInputError(`the source and the target are the same store (${describeTarget(source)})`);
  return { source, target };
}

function describeReport(report: TransferReport, source: StoreTarget, target: StoreTarget): string {
  const verb = report.dry_run ? 'would copy' : 'copied';
  const line = (item: TransferItem) => {
    const what = `${item.kind} ${item.id}${item.versions !== undefined ? ` (${item.versions} version${item.versions === 1 ? '' : 's'})` : ''}`;
    const label = item.outcome === 'conflict' ? 'conflict' : item.outcome === 'same' ? 'same' : report.dry_run ? 'would copy' : 'copied';
    return `  ${label.padEnd(10)}  ${item.outcome === 'conflict' ? (item.message ?? what) : what}`;
  };
  const counts = (kind: TransferItem['kind']) => report.items.filter((i) => i.kind === kind).length;
  return [
    `${report.dry_run ? 'dry run: nothing written. ' : ''}${describeTarget(source)} → ${describeTarget(target)}`,
    ...report.items.map(line),
    `${verb} ${report.written}, already the same ${report.same}, conflicts ${report.conflicts} (${counts('session')} sessions, ${counts('task')} tasks, ${counts('checkpoint')} checkpoints)`,
  ].join('\n');
}
