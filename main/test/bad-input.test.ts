// Requirement 7: bad ids, bad payloads, size limits, garbage lock files and
// filesystem errors are refused cleanly, and nothing is written for them.
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError, NotFoundError, openStateStore, StateIOError } from '../engine/index.ts';
import type { StateStore } from '../engine/backend.ts';
import type { IntegrityIssue } from '../../shared/model.ts';
import { describeBackends } from './backends.ts';
import {
  BIN,
  findFiles,
  listTree,
  makeTempDir,
  plantTicket,
  rejectionOf,
  removeTempDirs,
  runCli,
  runCliAll,
  seedStore,
} from './helpers.ts';

afterEach(() => removeTempDirs());

/** A payload that forges every engine-managed field; only `title` is the caller's to set. */
const FORGED = {
  task_id: 'someone-else',
  version: 1000,
  updated_at: 'not a date',
  updated_by: { owner: 'forger', pid: 1, host: 'x' },
  title: 'real',
};

const BAD_IDS = ['../x', 'a/b', '', 'x'.repeat(129), '..', '.hidden', '-dash', 'a\\b', 'sp ace', 'nul\0byte'];

/** Every call that takes a task id refuses each of BAD_IDS with InvalidInputError. */
async function expectBadIdsRefused(store: StateStore): Promise<void> {
  for (const id of BAD_IDS) {
    await expect(store.updateTaskState(id, { a: 1 }), `update ${JSON.stringify(id)}`).rejects.toBeInstanceOf(InvalidInputError);
    await expect(store.getTaskState(id)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(store.getTaskHistory(id)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(store.acquireLock(id, 'write', { timeout: 100 })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(store.recoverTaskState(id)).rejects.toBeInstanceOf(InvalidInputError);
  }
}

/** A temp dir with an initialized root inside it, plus one existing task. */
async function setup(config?: Record<string, unknown>): Promise<{ dir: string; root: string }> {
  const dir = makeTempDir();
  const root = join(dir, 'root');
  mkdirSync(root);
  if (config) writeFileSync(join(root, 'config.json'), JSON.stringify(config));
  await seedStore({ root }, { existing: { title: 'keep me' } });
  return { dir, root };
}

function errorLine(stderr: string): { code: string; message: string } {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return (JSON.parse(lines[0]!) as { error: { code: string; message: string } }).error;
}

describe('invalid task ids', () => {
  it('are refused by the library with InvalidInputError and nothing is written', async () => {
    const { dir, root } = await setup();
    const before = listTree(dir);
    const store = openStateStore({ root });
    await expectBadIdsRefused(store);
    // The longest valid id is fine.
    expect(await store.getTaskState('x'.repeat(128))).toBeNull();
    store.close();
    expect(listTree(dir)).toEqual(before);
  });

  it('make the CLI exit 2 with one error line and write nothing', async () => {
    const { dir, root } = await setup();
    const before = listTree(dir);
    const runs = ['../x', 'a/b', '', 'x'.repeat(129)].flatMap((id) =>
      [
        ['task', 'update', id, '{"a":1}'],
        ['task', 'get', id],
        ['task', 'history', id],
        ['lock', 'acquire', id, '--hold', '0'],
      ].map((args) => ({ args: ['--json', ...args] })),
    );
    // stdin is not even read for a bad id.
    runs.push({ args: ['--json', 'task', 'update', '../x', '-'], input: '{"a":1}' } as { args: string[]; input?: string });
    const results = await runCliAll(root, runs);
    for (const [i, r] of results.entries()) {
      expect(r.code, `${runs[i]!.args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(errorLine(r.stderr).code).toBe('INVALID_INPUT');
    }
    expect(listTree(dir)).toEqual(before);
  });
});

describe('invalid payloads', () => {
  it('arrays, null, numbers, strings and malformed JSON exit 2 and write nothing', async () => {
    const { dir, root } = await setup();
    const before = listTree(dir);
    const runs = ['[1,2]', 'null', '42', '"text"', 'true', '{"a":', '{a:1}', ''].flatMap((payload) => [
      { args: ['--json', 'task', 'update', 'existing', payload] },
      { args: ['--json', 'task', 'update', 'fresh', '-'], input: payload },
    ]);
    const results = await runCliAll(root, runs);
    for (const [i, r] of results.entries()) {
      expect(r.code, `${JSON.stringify(runs[i])}: ${r.stderr}`).toBe(2);
      expect(errorLine(r.stderr).code).toBe('INVALID_INPUT');
    }
    const store = openStateStore({ root });
    for (const payload of [[1, 2], null, 42, 'text', undefined, new Date()]) {
      await expect(store.updateTaskState('existing', payload)).rejects.toBeInstanceOf(InvalidInputError);
    }
    await expect(store.updateTaskState('existing', { a: 1 }, { expectedVersion: -1 })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(store.updateTaskState('existing', { a: 1 }, { expectedVersion: 1.5 })).rejects.toBeInstanceOf(InvalidInputError);
    const badFlag = await runCli(root, ['task', 'update', 'existing', '{}', '--expect-version', 'abc']);
    expect(badFlag.code).toBe(2);
    const unknownFlag = await runCli(root, ['task', 'update', 'existing', '{}', '--expected-version', '1']);
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toContain('--expected-version');
    // A session that does not exist (NotFound, exit 1) or is not a valid id (exit 2) is checked first.
    await expect(store.updateTaskState('existing', { a: 1 }, { session: '2020-01-01-001' })).rejects.toBeInstanceOf(NotFoundError);
    expect((await runCli(root, ['task', 'update', 'existing', '{"a":1}', '--session', '2020-01-01-001'])).code).toBe(1);
    expect((await runCli(root, ['task', 'update', 'existing', '{"a":1}', '--session', '../s'])).code).toBe(2);
    store.close();
    expect(listTree(dir)).toEqual(before);
    expect(await openStateStore({ root }).getTaskState('existing')).toMatchObject({ version: 1, title: 'keep me' });
  });

  it('a payload over max_state_bytes is refused (library, argument and stdin)', async () => {
    const { dir, root } = await setup({ max_state_bytes: 1024 });
    const before = listTree(dir);
    const big = { text: 'y'.repeat(1100) };
    const store = openStateStore({ root });
    const err = await rejectionOf(store.updateTaskState('existing', big));
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(/max_state_bytes|limit/);
    const arg = await runCli(root, ['--json', 'task', 'update', 'existing', JSON.stringify(big)]);
    expect(arg.code).toBe(2);
    expect(errorLine(arg.stderr).message).toContain('1024');
    const stdin = await runCli(root, ['--json', 'task', 'update', 'fresh', '-'], { input: JSON.stringify(big) });
    expect(stdin.code).toBe(2);
    expect(listTree(dir)).toEqual(before);

    // A payload under the limit whose resulting state (with engine fields) is over it is refused too.
    const edge = await rejectionOf(store.updateTaskState('existing', { text: 'z'.repeat(950) }));
    expect(edge).toBeInstanceOf(InvalidInputError);
    expect(await store.getTaskState('existing')).toMatchObject({ version: 1, title: 'keep me' });
    expect(await store.getTaskHistory('existing')).toHaveLength(1);
    // Small updates still work under the limit.
    expect((await store.updateTaskState('existing', { n: 1 })).version).toBe(2);
    store.close();
  });

  it('a payload larger than 200 KB is accepted on stdin (`task update id -`)', async () => {
    const { root } = await setup();
    const payload = { blob: 'a'.repeat(256 * 1024), items: Array.from({ length: 2000 }, (_, i) => ({ i, s: `item-${i}` })) };
    const text = JSON.stringify(payload);
    expect(text.length).toBeGreaterThan(200 * 1024);
    const r = await runCli(root, ['--json', 'task', 'update', 'big', '-'], { input: text });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ task_id: 'big', version: 1 });
    const stored = (await openStateStore({ root }).getTaskState('big'))!;
    expect(stored.blob).toBe(payload.blob);
    expect(stored.items).toEqual(payload.items);
  });

  it('engine-managed fields in a CLI payload are ignored, and nothing is written under the forged id or version', async () => {
    const { root } = await setup();
    const cli = await runCli(root, ['--json', 'task', 'update', 'existing', JSON.stringify(FORGED), '--owner', 'cli-user']);
    expect(cli.code).toBe(0);
    expect(cli.json).toMatchObject({ task_id: 'existing', version: 2, title: 'real', updated_by: { owner: 'cli-user' } });
    expect(existsSync(join(root, 'tasks', 'task-existing', 'history', 'v1000.json'))).toBe(false);
    expect(existsSync(join(root, 'tasks', 'task-someone-else'))).toBe(false);
    const store = openStateStore({ root });
    expect((await store.getTaskHistory('existing')).map((h) => h.version)).toEqual([2, 1]);
    store.close();
  });
});

// The same refusals through the StateStore contract, on both backends: what is
// refused, with which error, and that the state and its log are left as they were.
// (The cases above also check the folder itself, file by file, and the CLI.)
describeBackends('bad input through the store', (backend) => {
  async function withExistingTask(config: Parameters<typeof backend.open>[0] = {}) {
    const store = await backend.open({ owner: 'me', ...config });
    await store.updateTaskState('existing', { title: 'keep me' });
    const unchanged = async () => {
      expect(await store.listTaskIds()).toEqual(['existing']);
      expect(await store.getTaskState('existing')).toMatchObject({ version: 1, title: 'keep me' });
      expect(await store.getTaskHistory('existing')).toHaveLength(1);
      expect((await store.readAuditLog()).map((e) => e.change_type)).toEqual(['task_updated']);
    };
    return { store, unchanged };
  }

  it('refuses invalid task ids with InvalidInputError and writes nothing', async () => {
    const { store, unchanged } = await withExistingTask();
    await expectBadIdsRefused(store);
    expect(await store.getTaskState('x'.repeat(128))).toBeNull(); // the longest valid id is fine
    expect(await store.listLocks()).toEqual([]);
    await unchanged();
  });

  it('refuses payloads that are not objects, bad expected versions and unknown sessions, and writes nothing', async () => {
    const { store, unchanged } = await withExistingTask();
    for (const payload of [[1, 2], null, 42, 'text', undefined, new Date()]) {
      await expect(store.updateTaskState('existing', payload), JSON.stringify(payload)).rejects.toBeInstanceOf(InvalidInputError);
    }
    await expect(store.updateTaskState('existing', { a: 1 }, { expectedVersion: -1 })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(store.updateTaskState('existing', { a: 1 }, { expectedVersion: 1.5 })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(store.updateTaskState('existing', { a: 1 }, { session: '2020-01-01-001' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.updateTaskState('existing', { a: 1 }, { session: '../s' })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(store.acquireLock('existing', 'exclusive' as 'write')).rejects.toBeInstanceOf(InvalidInputError);
    await unchanged();
  });

  it('refuses a state over max_state_bytes, engine fields included, and keeps taking small updates', async () => {
    const { store, unchanged } = await withExistingTask({ max_state_bytes: 1024 });
    const err = await rejectionOf(store.updateTaskState('existing', { text: 'y'.repeat(1100) }));
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(/max_state_bytes|limit/);
    await expect(store.updateTaskState('fresh', { text: 'y'.repeat(1100) })).rejects.toBeInstanceOf(InvalidInputError);
    // A payload under the limit whose resulting state (with engine fields) is over it is refused too.
    await expect(store.updateTaskState('existing', { text: 'z'.repeat(950) })).rejects.toBeInstanceOf(InvalidInputError);
    await unchanged();
    expect((await store.updateTaskState('existing', { n: 1 })).version).toBe(2);
  });

  it('ignores engine-managed fields in a payload', async () => {
    const { store } = await withExistingTask();
    const state = await store.updateTaskState('existing', FORGED);
    expect(state).toMatchObject({ task_id: 'existing', version: 2, title: 'real', updated_by: { owner: 'me', pid: process.pid } });
    expect(Date.parse(state.updated_at)).toBeGreaterThan(Date.now() - 60_000);
    expect(await store.listTaskIds()).toEqual(['existing']);
    expect((await store.getTaskHistory('existing')).map((h) => h.version)).toEqual([2, 1]);
  });

  it('recovering a task that does not exist is NotFound and writes nothing (ids like "constructor" included)', async () => {
    const { store, unchanged } = await withExistingTask();
    for (const id of ['constructor', 'missing', 'toString']) {
      await expect(store.recoverTaskState(id), id).rejects.toBeInstanceOf(NotFoundError);
      expect(await store.getTaskState(id)).toBeNull();
    }
    await unchanged();
  });
});

describe('garbage lock files', () => {
  it('a garbage ticket is reclaimed, and garbage at the old lock names blocks nothing; verify reports both, gc clears them', async () => {
    const { root } = await setup();
    const taskDir = join(root, 'tasks', 'task-existing');
    const lockFile = join(taskDir, 'state.lock');
    const readerFile = join(taskDir, 'state.lock.r-garbage');
    writeFileSync(lockFile, Buffer.from([0x00, 0xff, 0x7b, 0x22, 0x70, 0x69, 0x64, 0x0a, 0x13]));
    writeFileSync(readerFile, '{"pid": "not a record"');
    // A ticket whose owner is alive but whose content is garbage, untouched for 5 s (past the 3 s grace).
    const ticket = plantTicket(lockFile, { pid: process.pid, raw: '{"pid": 1, "mode": ', ageMs: 5000 });

    const locks = await runCli(root, ['--json', 'locks']);
    expect(locks.code).toBe(0);
    expect(locks.json).toEqual([
      expect.objectContaining({ task_id: 'existing', mode: 'write', owner: '(unreadable ticket)', expired: true }),
    ]);

    const verify = await runCli(root, ['--json', 'verify']);
    expect(verify.code).toBe(0);
    const issues = (verify.json as { issues: IntegrityIssue[] }).issues;
    expect(issues.map((i) => [i.kind, i.path.split('/').pop()]).sort()).toEqual([
      ['garbage_lock', 'state.lock'],
      ['garbage_lock', 'state.lock.r-garbage'],
      ['stale_lock', ticket.split('/').pop()],
    ]);
    expect(issues.every((i) => i.task_id === 'existing' && i.recoverable)).toBe(true);

    const update = await runCli(root, ['--json', 'task', 'update', 'existing', '{"after":"garbage"}', '--timeout', '3000']);
    expect(update.stderr).toBe('');
    expect(update.code).toBe(0); // within its 3 s time-out: the garbage did not hold it up
    expect(update.json).toMatchObject({ version: 2, after: 'garbage' });
    expect(existsSync(ticket)).toBe(false);

    const gc = await runCli(root, ['--json', 'gc']);
    expect(gc.json).toMatchObject({ removed: 2 });
    expect(existsSync(lockFile)).toBe(false);
    expect(existsSync(readerFile)).toBe(false);
    expect((await runCli(root, ['--json', 'verify'])).json).toEqual({ issues: [] });
    expect((await runCli(root, ['--json', 'locks'])).json).toEqual([]);
  });

  it('a symlink, a folder or a FIFO at state.lock blocks nobody, never hangs anything, and is reported and cleared', async () => {
    const { root } = await setup();
    const taskDir = join(root, 'tasks', 'task-existing');
    const lockFile = join(taskDir, 'state.lock');
    const victim = join(root, 'victim.txt');
    writeFileSync(victim, 'untouched');
    const cases: [string, () => void, string][] = [
      ['a dangling symlink', () => symlinkSync(join(root, 'nowhere'), lockFile), 'dangling symlink'],
      ['a symlink to another file', () => symlinkSync(victim, lockFile), 'a symlink'],
      ['an empty folder', () => mkdirSync(lockFile), 'a directory'],
      ['a FIFO', () => execFileSync('mkfifo', [lockFile]), 'a FIFO'],
    ];
    let version = 1;
    for (const [what, plant, described] of cases) {
      plant();
      const update = await runCli(root, ['--json', 'task', 'update', 'existing', JSON.stringify({ what }), '--timeout', '2000'], {
        timeoutMs: 10_000,
      });
      expect(update.code, `${what}: ${update.stderr}`).toBe(0);
      expect(update.json).toMatchObject({ version: ++version, what });
      const verify = await runCli(root, ['--json', 'verify'], { timeoutMs: 10_000 });
      expect((verify.json as { issues: IntegrityIssue[] }).issues, what).toEqual([
        expect.objectContaining({
          kind: 'garbage_lock',
          task_id: 'existing',
          path: lockFile,
          recoverable: true,
          message: expect.stringContaining(described),
        }),
      ]);
      const gc = await runCli(root, ['--json', 'gc'], { timeoutMs: 10_000 });
      expect(gc.json, what).toMatchObject({ removed: 1 });
      expect(() => lstatSync(lockFile), what).toThrow();
      expect(readFileSync(victim, 'utf8')).toBe('untouched');
    }
    // A folder with content is someone's data: reported as not recoverable by gc, left in place, and still blocks nobody.
    mkdirSync(lockFile);
    writeFileSync(join(lockFile, 'notes.txt'), 'keep me');
    expect((await runCli(root, ['--json', 'task', 'update', 'existing', '{"n":1}', '--timeout', '2000'])).code).toBe(0);
    expect(((await runCli(root, ['--json', 'verify'])).json as { issues: IntegrityIssue[] }).issues).toEqual([
      expect.objectContaining({ kind: 'garbage_lock', path: lockFile, recoverable: false }),
    ]);
    expect((await runCli(root, ['--json', 'gc'])).json).toMatchObject({ removed: 0 });
    expect(readFileSync(join(lockFile, 'notes.txt'), 'utf8')).toBe('keep me');
  });

  it('a symlinked task folder is refused: nothing is written outside the root', async () => {
    const { root } = await setup();
    const outside = makeTempDir('lockstep-outside-');
    symlinkSync(outside, join(root, 'tasks', 'task-escape'));
    const r = await runCli(root, ['--json', 'task', 'update', 'escape', '{"x":1}']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/task-escape is a symlink; Lockstep does not write through symlinks/);
    expect(readdirSync(outside)).toEqual([]);
  });

  it('recovering a task that does not exist writes nothing (ids like "constructor" included)', async () => {
    const { root } = await setup();
    for (const id of ['constructor', 'missing']) {
      const r = await runCli(root, ['--json', 'task', 'recover', id]);
      expect(r.code).toBe(1);
      expect(existsSync(join(root, 'tasks', `task-${id}`))).toBe(false);
    }
  });

  it('gc removes an old garbage lock file on a task nobody touches', async () => {
    const { root } = await setup();
    const lockFile = join(root, 'tasks', 'task-existing', 'state.lock');
    writeFileSync(lockFile, 'not json at all');
    const past = new Date(Date.now() - 5000);
    utimesSync(lockFile, past, past);
    const gc = await runCli(root, ['--json', 'gc']);
    expect(gc.code).toBe(0);
    expect(gc.json).toMatchObject({ removed: 1 });
    expect(existsSync(lockFile)).toBe(false);
  });
});

describe('filesystem errors name the path', () => {
  const isRoot = process.getuid?.() === 0;
  if (isRoot) console.log('running as root: chmod 000 does not stop root, so the permission test runs the CLI as uid 65534 instead');

  it.skipIf(isRoot)('an unreadable task directory gives StateIOError / exit 6 naming it', async () => {
    const { root } = await setup();
    const taskDir = join(root, 'tasks', 'task-existing');
    chmodSync(taskDir, 0o000);
    try {
      const store = openStateStore({ root });
      const err = await rejectionOf(store.getTaskState('existing'));
      expect(err).toBeInstanceOf(StateIOError);
      expect((err as Error).message).toContain(taskDir);
      store.close();
      const cli = await runCli(root, ['--json', 'task', 'update', 'existing', '{"a":1}', '--timeout', '500']);
      expect(cli.code).toBe(6);
      expect(errorLine(cli.stderr)).toMatchObject({ code: 'IO_ERROR' });
      expect(errorLine(cli.stderr).message).toContain(taskDir);
    } finally {
      chmodSync(taskDir, 0o755);
    }
  });

  // Root ignores file permissions, and CI runs as root: there, the CLI is run as
  // an unprivileged user instead, on a root it may read but not write.
  it.skipIf(!isRoot)('run as an unprivileged user, a root it cannot write gives exit 6 naming the path, and reads still work', async () => {
    const { dir, root } = await setup();
    chmodSync(dir, 0o755); // mkdtemp makes it 0700; the tree inside is 0755 folders, 0644 files
    const before = listTree(dir);
    const cli = await cliForAnyUser();
    const run = (...args: string[]) =>
      spawnSync(cli.node, [cli.script, '--root', root, '--json', ...args], {
        uid: NOBODY,
        gid: NOBODY,
        encoding: 'utf8',
        timeout: 30_000,
        env: { PATH: process.env.PATH, HOME: cli.dir },
      });

    const update = run('task', 'update', 'existing', '{"a":1}', '--timeout', '500');
    expect(update.status, update.stderr).toBe(6);
    expect(update.stdout).toBe('');
    const err = errorLine(update.stderr);
    expect(err.code).toBe('IO_ERROR');
    expect(err.message).toMatch(/^permission denied: /);
    expect(err.message).toContain(join(root, 'tasks', 'task-existing'));

    const create = run('task', 'update', 'fresh', '{"a":1}', '--timeout', '500');
    expect(create.status, create.stderr).toBe(6);
    expect(errorLine(create.stderr).message).toContain(join(root, 'tasks'));

    const get = run('task', 'get', 'existing');
    expect(get.status, get.stderr).toBe(0);
    expect(JSON.parse(get.stdout)).toMatchObject({ task_id: 'existing', version: 1, title: 'keep me' });
    expect(listTree(dir)).toEqual(before);
  });

  it('a directory where state.json should be gives StateIOError / exit 6 naming the path', async () => {
    const { root } = await setup();
    const stateFile = join(root, 'tasks', 'task-existing', 'state.json');
    renameSync(stateFile, `${stateFile}.moved`);
    mkdirSync(stateFile);
    const store = openStateStore({ root });
    const err = await rejectionOf(store.getTaskState('existing'));
    expect(err).toBeInstanceOf(StateIOError);
    expect((err as StateIOError).message).toContain(stateFile);
    expect((err as StateIOError).details).toMatchObject({ path: stateFile, errno: 'EISDIR' });
    await expect(store.updateTaskState('existing', { a: 1 }, { timeout: 500 })).rejects.toBeInstanceOf(StateIOError);
    store.close();

    for (const args of [
      ['task', 'get', 'existing'],
      ['task', 'update', 'existing', '{"a":1}', '--timeout', '500'],
    ]) {
      const cli = await runCli(root, ['--json', ...args]);
      expect(cli.code, cli.stderr).toBe(6);
      const e = errorLine(cli.stderr);
      expect(e.code).toBe('IO_ERROR');
      expect(e.message).toContain(stateFile);
    }
    // The failed update left no lock behind, and nothing else was written.
    expect(findFiles(root, (n) => n.startsWith('state.lock') || n.startsWith('.tmp-'))).toEqual([]);
    rmSync(stateFile, { recursive: true });
    renameSync(`${stateFile}.moved`, stateFile);
    expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toMatchObject({ version: 1 });
  });
});

const NOBODY = 65534;

/**
 * The CLI bundled into one file, next to a link to this node binary, in a
 * folder any user can enter: the checkout and node may sit under a home
 * folder that other users cannot (/root).
 */
async function cliForAnyUser(): Promise<{ dir: string; node: string; script: string }> {
  const dir = makeTempDir('lockstep-cli-');
  chmodSync(dir, 0o755);
  const node = join(dir, 'node');
  try {
    linkSync(process.execPath, node);
    if ((statSync(node).mode & 0o005) !== 0o005) throw new Error('not executable by others');
  } catch {
    if (existsSync(node)) unlinkSync(node);
    copyFileSync(process.execPath, node);
    chmodSync(node, 0o755);
  }
  const script = join(dir, 'lockstep.mjs');
  const { build } = await import('esbuild');
  await build({
    entryPoints: [BIN],
    outfile: script,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    logLevel: 'error',
    // Bundled CommonJS dependencies call require().
    banner: { js: "import { createRequire as lockstepRequire } from 'node:module'; const require = lockstepRequire(import.meta.url);" },
  });
  chmodSync(script, 0o644);
  return { dir, node, script };
}

describe('a hand-written state nested too deeply to store', () => {
  it('an update is refused with a clear error (exit 2) and the state is left as it was', async () => {
    const { root } = await setup();
    const stateFile = join(root, 'tasks', 'task-existing', 'state.json');
    const before = JSON.parse(readFileSync(stateFile, 'utf8')) as Record<string, unknown>;
    const deep = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;
    const raw = JSON.stringify({ ...before }).replace(/}$/, `,"deep":${deep}}`);
    unlinkSync(stateFile); // not in place: history keeps its copy
    writeFileSync(stateFile, raw);
    const r = await runCli(root, ['--json', 'task', 'update', 'existing', '{"n":1}']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/cannot be stored as JSON/);
    expect(readFileSync(stateFile, 'utf8')).toBe(raw);
  });
});

describe("odd files under a ticket's name", () => {
  it('a folder or FIFO named like a lock ticket blocks nobody and is reported and cleared', async () => {
    const { root } = await setup();
    const lockFile = join(root, 'tasks', 'task-existing', 'state.lock');
    const dirTicket = `${lockFile}.000000000001-w-00000000-1-aaaaaaaa`;
    const fifoTicket = `${lockFile}.000000000002-w-00000000-1-bbbbbbbb`;
    mkdirSync(dirTicket);
    execFileSync('mkfifo', [fifoTicket]);
    const update = await runCli(root, ['--json', 'task', 'update', 'existing', '{"n":1}', '--timeout', '2000'], { timeoutMs: 10_000 });
    expect(update.code, update.stderr).toBe(0);
    const issues = ((await runCli(root, ['--json', 'verify'])).json as { issues: IntegrityIssue[] }).issues;
    expect(issues.map((i) => [i.kind, i.path]).sort()).toEqual([
      ['garbage_lock', dirTicket],
      ['garbage_lock', fifoTicket],
    ]);
    expect((await runCli(root, ['--json', 'gc'])).json).toMatchObject({ removed: 2 });
    expect(existsSync(dirTicket) || existsSync(fifoTicket)).toBe(false);
  });
});
