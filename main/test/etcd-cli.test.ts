// The CLI on an etcd cluster (a real 3-member cluster on loopback, started
// by the harness): the same commands as on a folder give the same JSON and
// the same exit codes; an unreachable cluster exits 6 naming its endpoints;
// and a command on a folder never loads the etcd client.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, makeTempDir, Proc, tryJson } from './helpers.ts';
import { freePorts, freshNamespace } from './etcd/cluster.ts';
import { cliOnSharedCluster } from './etcd/cli-hooks.ts';

const cluster = cliOnSharedCluster();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  json: unknown;
  ms: number;
}

/** The CLI with exactly these arguments: no --root added, neither LOCKSTEP_ROOT nor LOCKSTEP_ETCD inherited. */
function start(args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []): Proc {
  const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, LOCKSTEP_ROOT: '', LOCKSTEP_ETCD: '', LOCKSTEP_ETCD_PASSWORD: '', ...env },
  });
  return new Proc(child);
}

async function run(args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<Run> {
  const started = Date.now();
  const proc = start(args, env, nodeArgs);
  proc.child.stdin!.end();
  const exit = await proc.waitExit(60_000);
  const stdout = proc.lines.join('\n') + (proc.lines.length ? '\n' : '');
  return { code: exit.code, stdout, stderr: proc.stderr, json: tryJson(stdout), ms: Date.now() - started };
}

/**
 * What may differ between two runs of the same script on two stores: times,
 * the process and machine, generated ids (mapped to stable names in order of
 * appearance), and where a lock lives (a file path or a key).
 */
function normalizer() {
  const ids = new Map<string, string>();
  const stable = (value: string, kind: string) => {
    if (!ids.has(value)) ids.set(value, `<${kind}${[...ids.values()].filter((v) => v.startsWith(`<${kind}`)).length + 1}>`);
    return ids.get(value)!;
  };
  const walk = (value: unknown, key = ''): unknown => {
    if (Array.isArray(value)) return value.map((v) => walk(v, key));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, walk(v, k)]));
    }
    if (typeof value === 'string') {
      if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value)) return '<time>';
      if (/^\d{4}-\d{2}-\d{2}-\d{3}$/.test(value)) return stable(value, 'session');
      if (/^\d{4}-\d{2}-\d{2}-\d{6}(-\d+)?$/.test(value)) return stable(value, 'checkpoint');
      if (['host', 'path', 'token', 'start', 'root'].includes(key)) return `<${key}>`;
      return value
        .replace(/\d{4}-\d{2}-\d{2}-\d{6}(-\d+)?/g, (id) => stable(id, 'checkpoint'))
        .replace(/\d{4}-\d{2}-\d{2}-\d{3}\b/g, (id) => stable(id, 'session'));
    }
    if (typeof value === 'number' && ['pid', 'process_id', 'wait_ms', 'held_ms', 'bytes', 'size'].includes(key)) return `<${key}>`;
    return value;
  };
  return walk;
}

/** One step of the script, as a result both stores must give alike. */
interface Step {
  args: string[];
  code: number;
  /** The JSON printed (normalized), or the error code when it failed. */
  out: unknown;
}

/** The same script of commands against one store; `where` is --root DIR or --etcd URLS --namespace NS. */
async function script(where: string[]): Promise<Step[]> {
  const normalize = normalizer();
  const steps: Step[] = [];
  const cli = async (...args: string[]) => {
    const r = await run([...where, '--json', ...args]);
    const error =
      r.code !== 0
        ? (tryJson(r.stderr.trim().split('\n').at(-1) ?? '') as { error?: { code: string } } | undefined)?.error?.code
        : undefined;
    steps.push({ args: normalize(args) as string[], code: r.code ?? -1, out: r.code === 0 ? normalize(r.json) : (error ?? r.stderr) });
    return r;
  };
  await cli('init');
  await cli('task', 'list');
  const session = (await cli('session', 'create', '--options', '{"agent":"parity"}')).json as { id: string };
  await cli('task', 'update', 'alpha', '{"status":"in_progress","note":"first"}', '--session', session.id, '--owner', 'agent-1');
  await cli('task', 'update', 'alpha', '{"progress":50}', '--owner', 'agent-1');
  await cli('task', 'update', 'alpha', '{"progress":60}', '--expect-version', '1'); // stale: exit 3
  await cli('task', 'update', 'beta', '{"status":"completed","nested":{"list":[1,2,{"x":null}]}}', '--session', session.id);
  await cli('task', 'update', 'bad/id', '{}'); // exit 2
  await cli('task', 'update', 'alpha', '[1,2]'); // exit 2
  await cli('task', 'get', 'alpha');
  await cli('task', 'get', 'missing'); // exit 1
  await cli('task', 'history', 'alpha');
  await cli('task', 'history', 'missing'); // exit 1
  await cli('task', 'list');
  await cli('session', 'get', session.id);
  await cli('session', 'update', session.id, '{"status":"paused"}');
  await cli('session', 'list');
  await cli('session', 'list', '--active');
  await cli('session', 'get', '2000-01-01-001'); // exit 1
  const checkpoint = (await cli('checkpoint', 'create', session.id, '--reason', 'parity')).json as { id: string };
  await cli('task', 'update', 'alpha', '{"status":"review"}');
  await cli('checkpoint', 'list');
  await cli('checkpoint', 'show', checkpoint.id);
  await cli('checkpoint', 'restore', checkpoint.id, '--dry-run');
  await cli('checkpoint', 'restore', checkpoint.id);
  await cli('checkpoint', 'restore', checkpoint.id); // nothing to change
  await cli('task', 'restore', 'alpha', '1', '--owner', 'agent-2');
  await cli('task', 'restore', 'alpha', '999'); // exit 1
  await cli('task', 'recover', 'alpha');
  await cli('locks');
  // Counts differ by design (a commit on etcd is one compare-and-set Txn, on a folder it takes the
  // task's lock), so contention is compared by its shape: the tasks and the fields of each entry.
  // Its order ranks waits, which are timing, so the tasks are compared by name.
  const contention = await cli('contention');
  steps.at(-1)!.out = (contention.json as Record<string, unknown>[])
    .map((entry) => ({ task_id: String(entry.task_id), fields: Object.keys(entry).sort() }))
    .sort((a, b) => a.task_id.localeCompare(b.task_id));
  await cli('verify');
  await cli('log', '--task', 'beta');
  // A writer holds alpha: an update gives up after its timeout (exit 4) and `locks` shows the holder.
  const holder = start([...where, '--json', 'lock', 'acquire', 'alpha', '--hold', '30000', '--owner', 'holder']);
  await holder.waitForLine(() => true, 30_000);
  await cli('task', 'update', 'alpha', '{"late":true}', '--timeout', '300');
  await cli('locks');
  holder.signal('SIGTERM');
  expect((await holder.waitExit()).code).toBe(0);
  await cli('locks');
  await cli('task', 'update', 'alpha', '{"late":true}', '--timeout', '5000');
  await cli('nonsense'); // exit 2
  return steps;
}

describe('every command on etcd gives the JSON and the exit code it gives on a folder', () => {
  it('runs one script on a folder and on the cluster, step by step alike', async () => {
    const root = join(makeTempDir(), '.worktrees', '.state');
    // The two scripts run side by side: each store is private to its script.
    const [onFiles, onEtcd] = await Promise.all([
      script(['--root', root]),
      script(['--etcd', cluster.endpoints.join(','), '--namespace', freshNamespace('parity')]),
    ]);
    expect(onEtcd.map((s) => s.args)).toEqual(onFiles.map((s) => s.args));
    // Every step that differs, so one run shows them all.
    const differences = onFiles.flatMap((step, i) => {
      const other = onEtcd[i]!;
      if (JSON.stringify({ code: other.code, out: other.out }) === JSON.stringify({ code: step.code, out: step.out })) return [];
      return [
        {
          step: `${i + 1}: lockstep ${step.args.join(' ')}`,
          files: { code: step.code, out: step.out },
          etcd: { code: other.code, out: other.out },
        },
      ];
    });
    expect(differences).toEqual([]);
    // The script did exercise every exit code it meant to.
    expect(new Set(onFiles.map((s) => s.code))).toEqual(new Set([0, 1, 2, 3, 4]));
    // About 80 CLI starts, two at a time: minutes on a loaded 2-core machine.
  }, 480_000);

  it('LOCKSTEP_ETCD selects the cluster like --etcd, and --namespace keeps teams apart', async () => {
    const [a, b] = [freshNamespace('ns-a'), freshNamespace('ns-b')];
    const env = { LOCKSTEP_ETCD: cluster.endpoints.join(',') };
    expect((await run(['--namespace', a, '--json', 'task', 'update', 'shared-id', '{"team":"a"}'], env)).code).toBe(0);
    expect(
      (await run(['--etcd', cluster.endpoints[1]!, '--namespace', b, '--json', 'task', 'update', 'shared-id', '{"team":"b"}'])).code,
    ).toBe(0);
    expect((await run(['--namespace', a, '--json', 'task', 'get', 'shared-id'], env)).json).toMatchObject({ team: 'a', version: 1 });
    expect((await run(['--namespace', b, '--json', 'task', 'get', 'shared-id'], env)).json).toMatchObject({ team: 'b', version: 1 });
    // A bare --root still means the folder, whatever LOCKSTEP_ETCD says.
    const root = makeTempDir();
    expect((await run(['--root', root, '--json', 'task', 'list'], env)).json).toEqual([]);
  }, 60_000);
});

describe('simulate on etcd', () => {
  it('runs its agent processes on the same cluster and namespace; every update they report is a version', async () => {
    const where = ['--etcd', cluster.endpoints.join(','), '--namespace', freshNamespace('simulate')];
    const r = await run([...where, '--json', 'simulate', '--agents', '2', '--tasks', '3', '--seconds', '3']);
    expect(r.code, r.stderr).toBe(0);
    const summary = r.json as { updates: number; errors: number; sessions: string[] };
    expect(summary.errors).toBe(0);
    expect(summary.updates).toBeGreaterThan(0);
    const tasks = (await run([...where, '--json', 'task', 'list'])).json as { version: number }[];
    expect(tasks.reduce((sum, t) => sum + t.version, 0)).toBe(summary.updates);
    const sessions = (await run([...where, '--json', 'session', 'list'])).json as { id: string }[];
    expect(sessions.map((s) => s.id).sort()).toEqual([...summary.sessions].sort());
  }, 90_000);
});

describe('an unreachable cluster', () => {
  it('exits 6 within a few seconds with one error line naming every endpoint', async () => {
    const endpoints = (await freePorts(2)).map((port) => `http://127.0.0.1:${port}`);
    for (const args of [['task', 'get', 'alpha'], ['task', 'update', 'alpha', '{"x":1}'], ['locks']]) {
      const r = await run(['--etcd', endpoints.join(','), '--json', ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(6);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      const error = (JSON.parse(lines[0]!) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('UNAVAILABLE');
      for (const endpoint of endpoints) expect(error.message).toContain(endpoint);
      // The client's deadline is about 2 s; allow for a loaded machine, never a hang.
      expect(r.ms).toBeLessThan(15_000);
    }
    const human = await run(['--etcd', endpoints[0]!, 'task', 'list']);
    expect(human.code).toBe(6);
    expect(human.stderr).toMatch(new RegExp(`^lockstep: .*${endpoints[0]!.replace(/[.:/]/g, '\\$&')}`));
  }, 90_000);
});

describe('start-up', () => {
  /** A module hook that reports every etcd client module loaded (etcd3, grpc, protobufjs) on stderr. */
  function hookFile(): string {
    const file = join(makeTempDir(), 'report-etcd-modules.mjs');
    writeFileSync(
      file,
      `import { registerHooks } from 'node:module';
import { writeSync } from 'node:fs';
const seen = new Set();
registerHooks({
  resolve(specifier, context, next) {
    const result = next(specifier, context);
    const m = /node_modules\\/((?:@grpc\\/)?[^/]+)\\//.exec(result.url);
    if (m && /^(etcd3|@grpc\\/grpc-js|@grpc\\/proto-loader|protobufjs|cockatiel)$/.test(m[1]) && !seen.has(m[1])) {
      seen.add(m[1]);
      writeSync(2, 'etcd-client-module ' + m[1] + '\\n');
    }
    return result;
  },
});
`,
    );
    return file;
  }

  it('a command on a folder loads no etcd client module; the same command with --etcd does', async () => {
    const hook = hookFile();
    const root = makeTempDir();
    const onFiles = await run(['--root', root, '--json', 'task', 'list'], {}, ['--import', hook]);
    expect(onFiles.code, onFiles.stderr).toBe(0);
    expect(onFiles.stderr).not.toMatch(/etcd-client-module/);
    // The hook does see the client when it is used (so the check above can fail).
    const onEtcd = await run(
      ['--etcd', cluster.endpoints.join(','), '--namespace', freshNamespace('startup'), '--json', 'task', 'list'],
      {},
      ['--import', hook],
    );
    expect(onEtcd.code, onEtcd.stderr).toBe(0);
    expect(onEtcd.stderr).toMatch(/etcd-client-module etcd3/);
    // `lockstep --help` names the options it documents.
    const help = await run(['--help']);
    for (const option of [
      '--etcd URL[,URL…]',
      '--namespace NAME',
      '--etcd-cacert',
      '--etcd-cert',
      '--etcd-key',
      '--etcd-user',
      'LOCKSTEP_ETCD_PASSWORD',
      'migrate --from DIR --to-etcd URLS',
    ]) {
      expect(help.stdout).toContain(option);
    }
  }, 60_000);
});
