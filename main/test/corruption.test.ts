// Requirement 5: a damaged state.json is recovered from the newest valid
// history version, repaired on disk, and the recovery is audited and announced.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CorruptStateError, openStateStore, type IntegrityIssue, type StateStore, type TaskState } from '../engine/index.ts';
import { describeBackends } from './backends.ts';
import { cleanUpAfterEach, makeTempDir, readAuditLines, runCli, spawnCli } from './helpers.ts';

cleanUpAfterEach();

const TASK = 'damaged';

interface Fixture {
  root: string;
  taskDir: string;
  stateFile: string;
  history: (v: number) => string;
  versions: TaskState[];
}

/** A task with versions 1..count, content {step: n, title}. */
async function fixture(count = 5, config: Record<string, unknown> = {}): Promise<Fixture> {
  const root = makeTempDir();
  if (Object.keys(config).length) writeFileSync(join(root, 'config.json'), JSON.stringify(config));
  const store = openStateStore({ root });
  await store.init();
  const versions: TaskState[] = [];
  for (let step = 1; step <= count; step++) versions.push(await store.updateTaskState(TASK, { step, title: `step ${step}` }));
  store.close();
  const taskDir = join(root, 'tasks', `task-${TASK}`);
  return { root, taskDir, stateFile: join(taskDir, 'state.json'), history: (v) => join(taskDir, 'history', `v${v}.json`), versions };
}

/** Open a fresh store (as a new process would) and record state.task_recovered events. */
function openWatched(root: string): { store: StateStore; recovered: { task_id: string; version: number; reason: string }[] } {
  const store = openStateStore({ root });
  const recovered: { task_id: string; version: number; reason: string }[] = [];
  store.on('state.task_recovered', (e) => recovered.push(e));
  return { store, recovered };
}

/**
 * Replace a file with new bytes (a new inode, as an editor or an atomic-write
 * tool would). state.json and history/v<N>.json are hard links of one inode,
 * so writing in place would damage both; see the in-place test below.
 */
function replaceFile(path: string, data: string): void {
  writeFileSync(`${path}.new`, data);
  renameSync(`${path}.new`, path);
}

function readDisk(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/**
 * `contentVersion`: the version whose content comes back. `version`: the
 * version number it comes back as: the same, unless newer version numbers
 * were damaged, in which case it is written above them (never backwards).
 */
async function expectRecovered(f: Fixture, contentVersion: number, version = contentVersion): Promise<void> {
  const { store, recovered } = openWatched(f.root);
  const state = await store.getTaskState(TASK);
  expect(state).toMatchObject({ task_id: TASK, version, step: contentVersion, title: `step ${contentVersion}` });
  // state.json itself is repaired on disk, not only papered over in memory.
  expect(readDisk(f.stateFile)).toMatchObject({ version, step: contentVersion });
  expect(recovered).toEqual([expect.objectContaining({ task_id: TASK, version })]);
  const audit = readAuditLines(f.root).filter((e) => e.change_type === 'task_recovered' && e.task_id === TASK);
  expect(audit).toHaveLength(1);
  expect(audit[0]!.new_version).toBe(version);
  // A second read finds nothing left to repair.
  expect(await store.getTaskState(TASK)).toMatchObject({ version });
  expect(recovered).toHaveLength(1);
  // Integrity check is clean (damaged versions were moved aside), and the task keeps working.
  expect(await store.verifyAllStates()).toEqual([]);
  const next = await store.updateTaskState(TASK, { step: 99 });
  expect(next.version).toBe(version + 1);
  expect(await store.getTaskState(TASK)).toMatchObject({ version: next.version, step: 99, title: `step ${contentVersion}` });
  store.close();
}

describe('recovery of a damaged state.json', () => {
  const cases: [string, (raw: string, state: Record<string, unknown>) => string][] = [
    ['empty', () => ''],
    ['whitespace only', () => '  \n'],
    ['truncated', (raw) => raw.slice(0, Math.floor(raw.length / 2))],
    ['invalid JSON', () => '{"version": 5, "step": 5,,, oops'],
    ['not an object', () => '[1,2,3]'],
    ['missing version', (_raw, s) => JSON.stringify({ ...s, version: undefined })],
    ['non-integer version', (_raw, s) => JSON.stringify({ ...s, version: 'five' })],
    ['missing updated_at', (_raw, s) => JSON.stringify({ ...s, updated_at: undefined })],
    ['unparseable updated_at', (_raw, s) => JSON.stringify({ ...s, updated_at: 'yesterday' })],
  ];
  for (const [name, corrupt] of cases) {
    it(`recovers from ${name} state.json`, async () => {
      const f = await fixture();
      const raw = readFileSync(f.stateFile, 'utf8');
      replaceFile(f.stateFile, corrupt(raw, JSON.parse(raw) as Record<string, unknown>));
      await expectRecovered(f, 5);
    });
  }

  it('recovers when state.json was replaced by an older history version (backwards version)', async () => {
    const f = await fixture();
    replaceFile(f.stateFile, readFileSync(f.history(2), 'utf8'));
    expect(readDisk(f.stateFile)).toMatchObject({ version: 2 });
    await expectRecovered(f, 5);
  });

  it('a backwards state.json under a held write lock is read as the newest version without waiting, and repaired later', async () => {
    const f = await fixture();
    replaceFile(f.stateFile, readFileSync(f.history(3), 'utf8'));
    const holder = spawnCli(f.root, ['--json', 'lock', 'acquire', TASK, '--hold', '30000']);
    await holder.waitForJson();
    const { store, recovered } = openWatched(f.root);
    const started = Date.now();
    expect(await store.getTaskState(TASK)).toMatchObject({ version: 5, step: 5 });
    expect(Date.now() - started).toBeLessThan(2000); // not the 5 s lock time-out
    expect(readDisk(f.stateFile)).toMatchObject({ version: 3 }); // could not repair under someone else's lock
    expect(recovered).toEqual([]);
    holder.signal('SIGTERM');
    expect((await holder.waitExit()).code).toBe(0);
    store.close();
    await expectRecovered(f, 5);
  });

  it('recovers when state.json holds a version older than all remaining history', async () => {
    const f = await fixture(8, { max_history: 2 });
    // Versions 1..5 were pruned; put an old copy of version 1 back as state.json.
    expect(readdirSync(join(f.taskDir, 'history')).sort()).toEqual(['v6.json', 'v7.json', 'v8.json']);
    replaceFile(f.stateFile, JSON.stringify(f.versions[0], null, 2));
    await expectRecovered(f, 8);
    // The history did not grow a second, older "version 2".
    const { store } = openWatched(f.root);
    const history = await store.getTaskHistory(TASK);
    expect(history.map((h) => h.version)).toEqual([9, 8, 7]);
    store.close();
  });

  it('in-place damage to state.json (same inode as history/v<N>) recovers the newest version still valid', async () => {
    const f = await fixture();
    writeFileSync(f.stateFile, '{"version": 5, "st'); // truncates the shared inode in place
    const newestValid = [5, 4, 3, 2, 1].find((v) => {
      try {
        return (JSON.parse(readFileSync(f.history(v), 'utf8')) as { version?: number }).version === v;
      } catch {
        return false;
      }
    })!;
    expect(newestValid).toBe(4);
    // Version 5's content is gone: version 4's content comes back as version 6, never as a reused 5.
    await expectRecovered(f, newestValid, 6);
  });

  it('recovers when state.json is missing but history exists', async () => {
    const f = await fixture();
    rmSync(f.stateFile);
    await expectRecovered(f, 5);
  });

  it('skips a corrupt newest history file in favour of the previous valid one', async () => {
    const f = await fixture();
    replaceFile(f.stateFile, '{"trunc');
    replaceFile(f.history(5), '{"version": 5, "step"');
    await expectRecovered(f, 4, 6);
  });

  it('skips several invalid history files (wrong version inside, wrong task) down to a valid one', async () => {
    const f = await fixture();
    replaceFile(f.stateFile, '');
    // Named v5 but holds version 4 with the newest content: read without checking
    // its version against its name, it would win and bring back step 5.
    replaceFile(f.history(5), JSON.stringify({ ...f.versions[4], version: 4 }));
    replaceFile(f.history(4), JSON.stringify({ ...f.versions[3], task_id: 'someone-else' }));
    await expectRecovered(f, 3, 6);
  });

  it('refuses with CorruptStateError (CLI exit 5) when no valid version exists anywhere', async () => {
    const f = await fixture(3);
    replaceFile(f.stateFile, 'garbage');
    for (const v of [1, 2, 3]) replaceFile(f.history(v), '');
    const { store, recovered } = openWatched(f.root);
    const err = await store.getTaskState(TASK).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CorruptStateError);
    expect((err as CorruptStateError).message).toContain(TASK);
    expect(recovered).toEqual([]);
    // Nothing was "repaired" with made-up content.
    expect(readFileSync(f.stateFile, 'utf8')).toBe('garbage');
    await expect(store.updateTaskState(TASK, { step: 4 })).rejects.toBeInstanceOf(CorruptStateError);
    expect(readFileSync(f.stateFile, 'utf8')).toBe('garbage');
    const issues = await store.verifyAllStates();
    expect(issues).toContainEqual(expect.objectContaining({ kind: 'corrupt_state', task_id: TASK, recoverable: false }));
    store.close();

    const cli = await runCli(f.root, ['--json', 'task', 'get', TASK]);
    expect(cli.code).toBe(5);
    expect(cli.stdout).toBe('');
    const lines = cli.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ error: { code: 'CORRUPT_STATE' } });
    const recover = await runCli(f.root, ['task', 'recover', TASK]);
    expect(recover.code).toBe(5);
  });

  it('`task recover` repairs through the CLI and reports it', async () => {
    const f = await fixture();
    replaceFile(f.stateFile, '{');
    const cli = await runCli(f.root, ['--json', 'task', 'recover', TASK]);
    expect(cli.code).toBe(0);
    expect(cli.json).toMatchObject({ recovered: true, state: { version: 5, step: 5 } });
    expect(readDisk(f.stateFile)).toMatchObject({ version: 5 });
    const again = await runCli(f.root, ['--json', 'task', 'recover', TASK]);
    expect(again.json).toMatchObject({ recovered: false, state: { version: 5 } });
  });
});

describe('verify names the kind of damage from what was found, not from message text', () => {
  const cases: [string, IntegrityIssue['kind'], (f: Fixture) => void][] = [
    [
      'state.json without "version"',
      'corrupt_state',
      (f) => replaceFile(f.stateFile, JSON.stringify({ ...f.versions[2], version: undefined })),
    ],
    [
      'state.json without "updated_at"',
      'corrupt_state',
      (f) => replaceFile(f.stateFile, JSON.stringify({ ...f.versions[2], updated_at: undefined })),
    ],
    [
      'state.json of another task',
      'corrupt_state',
      (f) => replaceFile(f.stateFile, JSON.stringify({ ...f.versions[2], task_id: 'other' })),
    ],
    // JSON.parse quotes the text in its message: a guess from the text would take these for other kinds.
    ['state.json holding the word "missing"', 'corrupt_state', (f) => replaceFile(f.stateFile, 'missing')],
    ['state.json holding the word "behind"', 'corrupt_state', (f) => replaceFile(f.stateFile, 'behind')],
    ['no state.json', 'missing_state', (f) => rmSync(f.stateFile)],
    // (With v2 still there, a read would just roll forward: the chain must be broken.)
    [
      'state.json put back to v1, v2 gone',
      'state_behind_history',
      (f) => {
        replaceFile(f.stateFile, readFileSync(f.history(1), 'utf8'));
        rmSync(f.history(2));
      },
    ],
  ];
  for (const [name, kind, damage] of cases) {
    it(`${name}: ${kind}`, async () => {
      const f = await fixture(3);
      damage(f);
      const store = openStateStore({ root: f.root });
      const issues = await store.verifyAllStates();
      store.close();
      expect(issues).toEqual([expect.objectContaining({ kind, task_id: TASK, path: f.stateFile, recoverable: true })]);
      expect(issues[0]!.message).toMatch(/version 3 can be recovered from history$/);
    });
  }

  it('the CLI reports a state.json without "version" as corrupt_state', async () => {
    const f = await fixture(3);
    replaceFile(f.stateFile, JSON.stringify({ ...f.versions[2], version: undefined }));
    const cli = await runCli(f.root, ['--json', 'verify']);
    expect(cli.code).toBe(0);
    expect(cli.json).toEqual({ issues: [expect.objectContaining({ kind: 'corrupt_state', task_id: TASK, recoverable: true })] });
    expect((cli.json as { issues: IntegrityIssue[] }).issues[0]!.message).toContain('"version"');
  });
});

// Every case above damages files by hand, so they run on a folder only. What
// holds on both backends: an undamaged store is reported clean, and recovering
// it changes nothing.
describeBackends('an undamaged store', (backend) => {
  it('verify finds no issue, and recover reports nothing recovered and writes nothing', async () => {
    const store = await backend.open();
    for (let i = 1; i <= 3; i++) await store.updateTaskState(TASK, { step: i });
    await store.updateTaskState('other', { step: 1 });
    expect(await store.verifyAllStates()).toEqual([]);
    expect(await store.verifyTaskState(TASK)).toEqual([]);
    const auditBefore = await store.readAuditLog();
    const { state, recovered } = await store.recoverTaskState(TASK);
    expect(recovered).toBe(false);
    expect(state).toEqual(await store.getTaskState(TASK));
    expect(state).toMatchObject({ version: 3, step: 3 });
    expect((await store.getTaskHistory(TASK)).map((h) => h.version)).toEqual([3, 2, 1]);
    expect(await store.readAuditLog()).toEqual(auditBefore);
  });
});
