// `lockstep migrate` between a folder and a real etcd cluster, both ways:
// every task's history (numbers, times and writers kept), sessions and
// checkpoints arrive as they were; a dry run writes nothing; a second run
// copies nothing; a task that differs in the target is refused (exit 3) and
// left as it is, while the rest is copied.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Checkpoint, Session, TaskState } from '../../shared/model.ts';
import { makeTempDir, runCliArgs } from './helpers.ts';
import { freshNamespace } from './etcd/cluster.ts';
import { cliOnSharedCluster } from './etcd/cli-hooks.ts';

const cluster = cliOnSharedCluster();

interface Item {
  kind: string;
  id: string;
  outcome: string;
  versions?: number;
  message?: string;
}
interface Report {
  from: unknown;
  to: unknown;
  dry_run: boolean;
  items: Item[];
  written: number;
  same: number;
  conflicts: number;
}

const run = (args: string[]) => runCliArgs(args, { timeoutMs: 90_000 });

async function ok<T>(args: string[]): Promise<T> {
  const r = await run([...args]);
  expect(r.code, `lockstep ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.json as T;
}

const outcomes = (report: Report) => report.items.map((i) => `${i.kind} ${i.id} ${i.outcome}`);

/** Everything a store holds that migrate carries, read through the CLI. */
async function contents(where: string[]) {
  const tasks = await ok<TaskState[]>([...where, '--json', 'task', 'list']);
  const histories = Object.fromEntries(
    await Promise.all(
      tasks.map(async (t) => [t.task_id, await ok<TaskState[]>([...where, '--json', 'task', 'history', t.task_id])] as const),
    ),
  );
  const sessions = await ok<Session[]>([...where, '--json', 'session', 'list']);
  const summaries = await ok<{ id: string }[]>([...where, '--json', 'checkpoint', 'list']);
  const checkpoints = await Promise.all(summaries.map((c) => ok<Checkpoint>([...where, '--json', 'checkpoint', 'show', c.id])));
  return { histories, sessions, checkpoints };
}

describe('lockstep migrate', () => {
  it('copies a folder to a cluster and back, exactly, with a dry run first and nothing copied twice', async () => {
    const source = join(makeTempDir(), '.worktrees', '.state');
    const onFolder = ['--root', source];
    const sid = (await ok<Session>([...onFolder, '--json', 'session', 'create', '--options', '{"agent":"migrant"}'])).id;
    await ok([...onFolder, '--json', 'task', 'update', 'alpha', '{"status":"in_progress"}', '--session', sid, '--owner', 'agent-1']);
    await ok([...onFolder, '--json', 'task', 'update', 'alpha', '{"progress":50}', '--owner', 'agent-2']);
    await ok([...onFolder, '--json', 'task', 'update', 'beta', '{"status":"pending","deep":{"a":[1,{"b":null}]}}', '--session', sid]);
    const cid = (await ok<Checkpoint>([...onFolder, '--json', 'checkpoint', 'create', sid, '--reason', 'before the move'])).id;
    await ok([...onFolder, '--json', 'task', 'update', 'alpha', '{"status":"review"}', '--owner', 'agent-3']);
    const namespace = freshNamespace('migrate');
    const urls = cluster.endpoints.join(',');
    const onCluster = ['--etcd', urls, '--namespace', namespace];

    const dry = await ok<Report>(['--json', 'migrate', '--from', source, '--to-etcd', urls, '--namespace', namespace, '--dry-run']);
    expect(dry.dry_run).toBe(true);
    expect(outcomes(dry)).toEqual([`session ${sid} write`, 'task alpha write', 'task beta write', `checkpoint ${cid} write`]);
    expect(dry.items.find((i) => i.id === 'alpha')!.versions).toBe(3);
    expect(await ok([...onCluster, '--json', 'task', 'list'])).toEqual([]);
    expect(await ok([...onCluster, '--json', 'session', 'list'])).toEqual([]);

    const first = await ok<Report>(['--json', 'migrate', '--from', source, '--to-etcd', urls, '--namespace', namespace]);
    expect(first).toMatchObject({
      dry_run: false,
      written: 4,
      same: 0,
      conflicts: 0,
      from: { kind: 'files', root: source },
      to: { kind: 'etcd', namespace },
    });
    const before = await contents(onFolder);
    expect(await contents(onCluster)).toEqual(before);
    expect(before.histories.alpha!.map((v) => [v.version, (v.updated_by as { owner: string }).owner])).toEqual([
      [3, 'agent-3'],
      [2, 'agent-2'],
      [1, 'agent-1'],
    ]);

    // Idempotent: a second run (and its dry run) copies nothing.
    for (const extra of [['--dry-run'], []]) {
      const again = await ok<Report>(['--json', 'migrate', '--from', source, '--to-etcd', urls, '--namespace', namespace, ...extra]);
      expect(again).toMatchObject({ written: 0, same: 4, conflicts: 0 });
    }

    // And back, into a new folder: the same contents again.
    const back = join(makeTempDir(), '.worktrees', '.state');
    const returned = await ok<Report>(['--json', 'migrate', '--from-etcd', urls, '--namespace', namespace, '--to', back]);
    expect(returned).toMatchObject({ written: 4, conflicts: 0 });
    expect(await contents(['--root', back])).toEqual(before);
    // The copy is a working store: the next commit continues the history.
    expect(await ok([...onCluster, '--json', 'task', 'update', 'alpha', '{"status":"completed"}'])).toMatchObject({
      version: 4,
      status: 'completed',
    });
  }, 300_000);

  it('refuses a task the target holds differently, writes nothing for it, and copies the rest (exit 3)', async () => {
    const source = join(makeTempDir(), '.worktrees', '.state');
    const onFolder = ['--root', source];
    await ok([...onFolder, '--json', 'task', 'update', 'kept', '{"n":1}']);
    await ok([...onFolder, '--json', 'task', 'update', 'grows', '{"n":1}']);
    await ok([...onFolder, '--json', 'task', 'update', 'clash', '{"side":"folder"}']);
    const namespace = freshNamespace('clash');
    const urls = cluster.endpoints.join(',');
    const onCluster = ['--etcd', urls, '--namespace', namespace];
    await ok(['--json', 'migrate', '--from', source, '--to-etcd', urls, '--namespace', namespace]);

    // Both sides move on: `grows` only in the folder (the cluster holds an earlier version of the
    // same history: completed), `clash` on both sides (different histories: refused).
    await ok([...onFolder, '--json', 'task', 'update', 'grows', '{"n":2}']);
    await ok([...onCluster, '--json', 'task', 'update', 'clash', '{"side":"cluster"}']);
    await ok([...onFolder, '--json', 'task', 'update', 'clash', '{"side":"folder again"}']);
    await ok([...onFolder, '--json', 'task', 'update', 'fresh', '{"n":1}']);
    const clusterClash = await ok<TaskState[]>([...onCluster, '--json', 'task', 'history', 'clash']);

    const dry = await run(['--json', 'migrate', '--from', source, '--to-etcd', urls, '--namespace', namespace, '--dry-run']);
    expect(dry.code).toBe(3);
    expect(outcomes(dry.json as Report)).toEqual(['task clash conflict', 'task fresh write', 'task grows write', 'task kept same']);

    const r = await run(['--json', 'migrate', '--from', source, '--to-etcd', urls, '--namespace', namespace]);
    expect(r.code).toBe(3);
    const report = r.json as Report;
    expect(outcomes(report)).toEqual(['task clash conflict', 'task fresh written', 'task grows written', 'task kept same']);
    expect(report.items[0]!.message).toMatch(/clash/);
    const error = (JSON.parse(r.stderr.trim().split('\n').at(-1)!) as { error: { code: string; message: string } }).error;
    expect(error).toMatchObject({ code: 'VERSION_CONFLICT' });
    expect(error.message).toContain('task clash');
    // The conflicting task is exactly as it was; the others arrived.
    expect(await ok([...onCluster, '--json', 'task', 'history', 'clash'])).toEqual(clusterClash);
    expect(await ok([...onCluster, '--json', 'task', 'get', 'grows'])).toMatchObject({ n: 2, version: 2 });
    expect(await ok([...onCluster, '--json', 'task', 'get', 'fresh'])).toMatchObject({ n: 1, version: 1 });
  }, 300_000);

  it('says what is wrong before touching anything', async () => {
    const missing = join(makeTempDir(), 'nothing-here');
    const r = await run([
      '--json',
      'migrate',
      '--from',
      missing,
      '--to-etcd',
      cluster.endpoints.join(','),
      '--namespace',
      freshNamespace('none'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the state folder ${missing} does not exist`);
    const usage = await run(['migrate', '--from', missing]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/give one of --to DIR or --to-etcd URLS/);
    // An unreachable target: exit 6 naming it, and the source folder untouched.
    const source = makeTempDir();
    await ok(['--root', source, '--json', 'task', 'update', 'a', '{}']);
    const listing = readdirSync(source).sort();
    const down = await run(['--json', 'migrate', '--from', source, '--to-etcd', 'http://127.0.0.1:1']);
    expect(down.code).toBe(6);
    expect(down.stderr).toContain('http://127.0.0.1:1');
    expect(readdirSync(source).sort()).toEqual(listing);
    expect(existsSync(join(source, 'tasks', 'task-a', 'state.json'))).toBe(true);
  }, 120_000);
});
