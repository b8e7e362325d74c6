// config.json: every key is checked against a range, and a config.json that
// is a symlink or not a regular file is refused. A bad config is refused
// before anything is written, with an error naming the key (or path).
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError, openStateStore, type OpenOptions } from '../engine/index.ts';
import { listTree, makeTempDir, removeTempDirs, runCli, singleCliError } from './helpers.ts';

afterEach(() => removeTempDirs());

/** A root with one committed task, and `config.json` written as given. */
async function rootWithConfig(config: string): Promise<{ dir: string; root: string }> {
  const dir = makeTempDir();
  const root = join(dir, 'root');
  const store = openStateStore({ root });
  await store.init();
  await store.updateTaskState('existing', { title: 'keep me' });
  store.close();
  writeFileSync(join(root, 'config.json'), config);
  return { dir, root };
}

function openError(root: string): InvalidInputError {
  try {
    openStateStore({ root }).close();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return err as InvalidInputError;
  }
  throw new Error('openStateStore accepted the config');
}

const DAY = 86_400_000;

describe('config.json bounds', () => {
  // [key, refused value, text the error must contain besides the key]
  const refused: [string, unknown, RegExp][] = [
    ['lease_ms', 1e16, /lease_ms must be a number between 50 and 86400000 \(ms\), got 10000000000000000$/],
    ['lease_ms', 49, /lease_ms must be a number between 50 and 86400000 \(ms\), got 49$/],
    ['lease_ms', DAY + 1, /lease_ms .*, got 86400001$/],
    ['lock_timeout_ms', DAY + 1, /lock_timeout_ms must be a number between 0 and 86400000 \(ms\), got 86400001$/],
    ['lock_timeout_ms', -1, /lock_timeout_ms .*, got -1$/],
    ['max_history', 1.5, /max_history must be an integer between 0 and 1000000, got 1\.5$/],
    ['max_history', 1_000_001, /max_history .*, got 1000001$/],
    ['max_state_bytes', 1023, /max_state_bytes must be an integer between 1024 and 1073741824 \(bytes\), got 1023$/],
    ['max_state_bytes', 2 ** 30 + 1, /max_state_bytes .*, got 1073741825$/],
    ['backoff_max_ms', 0, /backoff_max_ms must be a number between 1 and 10000 \(ms\), got 0$/],
    ['backoff_max_ms', 10_001, /backoff_max_ms .*, got 10001$/],
    ['cleanup_interval_ms', 50, /cleanup_interval_ms must be a number 0 \(off\) or between 100 and 86400000 \(ms\), got 50$/],
    ['verify_interval_ms', DAY + 1, /verify_interval_ms .*, got 86400001$/],
    ['checkpoint_interval_ms', 99, /checkpoint_interval_ms .*, got 99$/],
    ['lease_ms', '100', /lease_ms must be a number .*, got "100"$/],
    ['fsync', 'yes', /fsync must be true or false, got "yes"$/],
    ['owner', 'x'.repeat(201), /owner must be at most 200 characters, got 201$/],
    ['owner', 'agent\n7', /owner must not contain a control character, got "agent\\n7"$/],
    ['owner', 7, /owner must be a string, got 7$/],
  ];

  for (const [key, value, text] of refused) {
    it(`refuses ${key}: ${JSON.stringify(value)?.slice(0, 30)} with an error naming the key and the range`, async () => {
      const { root } = await rootWithConfig(JSON.stringify({ [key]: value }));
      const err = openError(root);
      expect(err.message).toContain(join(root, 'config.json'));
      expect(err.message).toMatch(text);
      // The same bound applies to options passed in code.
      expect(() => openStateStore({ root: makeTempDir(), [key]: value } as OpenOptions)).toThrow(InvalidInputError);
    });
  }

  it('accepts the edges of every range', async () => {
    const edges = [
      {
        lease_ms: 50,
        lock_timeout_ms: 0,
        max_history: 0,
        max_state_bytes: 1024,
        backoff_max_ms: 1,
        cleanup_interval_ms: 0,
        verify_interval_ms: 100,
        checkpoint_interval_ms: DAY,
      },
      {
        lease_ms: DAY,
        lock_timeout_ms: DAY,
        max_history: 1_000_000,
        max_state_bytes: 2 ** 30,
        backoff_max_ms: 10_000,
        cleanup_interval_ms: DAY,
        owner: 'x'.repeat(200),
      },
    ];
    for (const config of edges) {
      const { root } = await rootWithConfig(JSON.stringify(config));
      const store = openStateStore({ root });
      expect(store.config).toMatchObject(config);
      store.close();
    }
  });

  it('a lease of 1e16 makes the CLI exit 2 with one line naming the key, and nothing is written', async () => {
    const { dir, root } = await rootWithConfig('{"lease_ms": 1e16}');
    const before = listTree(dir);
    for (const args of [
      ['task', 'update', 'existing', '{"a":1}'],
      ['task', 'update', 'fresh', '{"a":1}'],
      ['lock', 'acquire', 'existing', '--hold', '0'],
      ['session', 'create'],
    ]) {
      const r = await runCli(root, ['--json', ...args]);
      expect(r.code, r.stderr).toBe(2);
      const error = singleCliError(r);
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.message).toMatch(/lease_ms must be a number between 50 and 86400000 \(ms\), got 10000000000000000/);
    }
    expect(listTree(dir)).toEqual(before);
    // Fixed, everything works again.
    writeFileSync(join(root, 'config.json'), '{"lease_ms": 20000}');
    expect((await runCli(root, ['--json', 'task', 'update', 'existing', '{"a":1}'])).code).toBe(0);
  });
});

describe('config.json that is not a regular file', () => {
  it('a symlinked config.json is refused, naming the path, even when its target is a valid config', async () => {
    const { dir, root } = await rootWithConfig('{}');
    const elsewhere = join(dir, 'someone-elses-config.json');
    writeFileSync(elsewhere, '{"owner": "not yours"}');
    const configFile = join(root, 'config.json');
    execFileSync('rm', [configFile]);
    symlinkSync(elsewhere, configFile);
    const err = openError(root);
    expect(err.message).toContain(configFile);
    expect(err.message).toMatch(/symbolic link/);
    const before = listTree(dir);
    const r = await runCli(root, ['--json', 'task', 'update', 'existing', '{"a":1}']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(configFile);
    expect(listTree(dir)).toEqual(before);
  });

  it('a dangling symlink at config.json is refused too (not read as "no config")', async () => {
    const { root } = await rootWithConfig('{}');
    const configFile = join(root, 'config.json');
    execFileSync('rm', [configFile]);
    symlinkSync(join(root, 'nowhere.json'), configFile);
    expect(openError(root).message).toMatch(/symbolic link/);
  });

  it('a directory or a FIFO at config.json is refused at once, naming the path', async () => {
    const { root } = await rootWithConfig('{}');
    const configFile = join(root, 'config.json');
    execFileSync('rm', [configFile]);
    mkdirSync(configFile);
    expect(openError(root).message).toMatch(new RegExp(`${configFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*not a regular file`));
    execFileSync('rmdir', [configFile]);
    execFileSync('mkfifo', [configFile]);
    // Reading a FIFO would block until a writer shows up: it must not even be opened for reading.
    const r = await runCli(root, ['--json', 'task', 'get', 'existing'], { timeoutMs: 10_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(configFile);
    expect(r.stderr).toMatch(/not a regular file/);
  });
});
