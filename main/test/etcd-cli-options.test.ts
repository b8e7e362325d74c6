// The CLI's global store options: --root or --etcd (LOCKSTEP_ETCD), the
// namespace, TLS files and the etcd user, whose password only comes from the
// environment. Bad values are refused before anything connects.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Flags, parseArgs } from '../cli/args.ts';
import { migrateTargets } from '../cli/migrate-command.ts';
import { parseEndpoints, storeTarget } from '../cli/store-target.ts';
import { makeTempDir, removeTempDirs } from './helpers.ts';

afterEach(removeTempDirs);

const flagsOf = (...argv: string[]) => new Flags(parseArgs(argv).flags);
const targetOf = (argv: string[], env: NodeJS.ProcessEnv = {}) => storeTarget(flagsOf(...argv), env);

describe('--etcd and --namespace', () => {
  it('selects the folder by default, and an etcd cluster with --etcd or LOCKSTEP_ETCD', () => {
    expect(targetOf([])).toEqual({ kind: 'files', root: undefined });
    expect(targetOf(['--root', '/tmp/x'])).toEqual({ kind: 'files', root: '/tmp/x' });
    expect(targetOf(['--etcd', 'http://127.0.0.1:2379,http://127.0.0.1:22379'])).toEqual({
      kind: 'etcd',
      etcd: { endpoints: ['http://127.0.0.1:2379', 'http://127.0.0.1:22379'], namespace: 'lockstep' },
      args: ['--etcd', 'http://127.0.0.1:2379,http://127.0.0.1:22379', '--namespace', 'lockstep'],
    });
    expect(targetOf(['--namespace', 'team-a'], { LOCKSTEP_ETCD: 'http://10.0.0.1:2379' })).toEqual({
      kind: 'etcd',
      etcd: { endpoints: ['http://10.0.0.1:2379'], namespace: 'team-a' },
      args: ['--etcd', 'http://10.0.0.1:2379', '--namespace', 'team-a'],
    });
    // --etcd wins over the environment; an explicit --root over LOCKSTEP_ETCD.
    expect(targetOf(['--etcd', 'http://a:1'], { LOCKSTEP_ETCD: 'http://b:2' })).toMatchObject({ etcd: { endpoints: ['http://a:1'] } });
    expect(targetOf(['--root', '/tmp/x'], { LOCKSTEP_ETCD: 'http://b:2' })).toEqual({ kind: 'files', root: '/tmp/x' });
  });

  it('normalizes endpoints the way etcdctl reads them', () => {
    expect(parseEndpoints('127.0.0.1:2379, http://h:2380/ ,127.0.0.1:2379')).toEqual(['http://127.0.0.1:2379', 'http://h:2380']);
    expect(parseEndpoints('h:2379', true)).toEqual(['https://h:2379']);
    expect(parseEndpoints('http://[::1]:2379')).toEqual(['http://[::1]:2379']);
  });

  it('refuses endpoints that are not etcd client URLs, and says what to give instead', () => {
    const cases: [string, RegExp][] = [
      ['', /at least one endpoint/],
      ['ftp://h:2379', /only http:\/\/ and https:\/\//],
      ['http://h', /give the client port/],
      ['http://h:2379/v3/kv', /path or query/],
      ['http://root:secret@h:2379', /LOCKSTEP_ETCD_PASSWORD, not in the URL/],
      ['http://h:99999', /invalid etcd endpoint/],
    ];
    for (const [value, message] of cases) {
      expect(() => targetOf(['--etcd', value]), value).toThrow(message);
      try {
        targetOf(['--etcd', value]);
      } catch (err) {
        expect((err as { code: string }).code).toBe('INVALID_INPUT'); // exit 2
      }
    }
  });

  it('refuses a namespace that could nest into another one, and --root with --etcd', () => {
    for (const ns of ['a/b', '', '-x', 'a'.repeat(65), 'ünï']) {
      expect(() => targetOf(['--etcd', 'http://h:2379', '--namespace', ns]), ns).toThrow(/namespace must be/);
    }
    expect(() => targetOf(['--root', '/tmp/x', '--etcd', 'http://h:2379'])).toThrow(/--root and --etcd name two different stores/);
    expect(() => targetOf(['--namespace', 'x'])).toThrow(/--namespace apply to an etcd cluster: add --etcd/);
  });
});

describe('TLS and user options', () => {
  it('reads the PEM files and passes them with the user; the password comes only from LOCKSTEP_ETCD_PASSWORD', () => {
    const dir = makeTempDir();
    for (const name of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(dir, name), `-----BEGIN ${name}-----\n`);
    const options = ['--etcd-cacert', join(dir, 'ca.pem'), '--etcd-cert', join(dir, 'cert.pem'), '--etcd-key', join(dir, 'key.pem')];
    const target = targetOf(['--etcd', 'h1:2379,h2:2379', ...options, '--etcd-user', 'agent'], { LOCKSTEP_ETCD_PASSWORD: 's3cret' });
    expect(target.kind).toBe('etcd');
    if (target.kind !== 'etcd') return;
    // TLS options make a bare host:port https://.
    expect(target.etcd.endpoints).toEqual(['https://h1:2379', 'https://h2:2379']);
    expect(target.etcd.tls!.ca!.toString()).toBe('-----BEGIN ca.pem-----\n');
    expect(target.etcd.tls!.cert!.toString()).toBe('-----BEGIN cert.pem-----\n');
    expect(target.etcd.tls!.key!.toString()).toBe('-----BEGIN key.pem-----\n');
    expect(target.etcd.auth).toEqual({ username: 'agent', password: 's3cret' });
    // Processes the command starts (simulate's agents) get the same options, never the password.
    expect(target.args).toEqual([
      '--etcd',
      'https://h1:2379,https://h2:2379',
      '--namespace',
      'lockstep',
      ...options,
      '--etcd-user',
      'agent',
    ]);
    expect(target.args.join(' ')).not.toContain('s3cret');
  });

  it('refuses a user without the password in the environment, a certificate without its key or CA, and unreadable files', () => {
    const dir = makeTempDir();
    writeFileSync(join(dir, 'cert.pem'), 'x');
    expect(() => targetOf(['--etcd', 'h:2379', '--etcd-user', 'agent'])).toThrow(/LOCKSTEP_ETCD_PASSWORD/);
    expect(() => targetOf(['--etcd', 'h:2379', '--etcd-cert', join(dir, 'cert.pem')])).toThrow(/--etcd-cert and --etcd-key go together/);
    expect(() => targetOf(['--etcd', 'h:2379', '--etcd-cert', join(dir, 'cert.pem'), '--etcd-key', join(dir, 'cert.pem')])).toThrow(
      /--etcd-cert needs --etcd-cacert too/,
    );
    expect(() => targetOf(['--etcd', 'h:2379', '--etcd-cacert', join(dir, 'missing.pem')])).toThrow(
      /--etcd-cacert: cannot read .*missing\.pem: ENOENT/,
    );
    // There is no flag for the password: it would be visible to every local user in ps.
    expect(() => {
      const flags = flagsOf('--etcd', 'h:2379', '--etcd-password', 'x');
      storeTarget(flags, {});
      flags.assertAllUsed();
    }).toThrow(/unknown option --etcd-password/);
  });
});

describe('migrate source and target', () => {
  it('takes exactly one source and one target, never --root or --etcd', () => {
    expect(migrateTargets(flagsOf('--from', '/tmp/a', '--to-etcd', 'h:2379', '--namespace', 'ns1'))).toEqual({
      source: { kind: 'files', root: '/tmp/a' },
      target: {
        kind: 'etcd',
        etcd: { endpoints: ['http://h:2379'], namespace: 'ns1' },
        args: ['--etcd', 'http://h:2379', '--namespace', 'ns1'],
      },
    });
    expect(migrateTargets(flagsOf('--from-etcd', 'h:2379', '--to', '/tmp/b'))).toEqual({
      source: {
        kind: 'etcd',
        etcd: { endpoints: ['http://h:2379'], namespace: 'lockstep' },
        args: ['--etcd', 'http://h:2379', '--namespace', 'lockstep'],
      },
      target: { kind: 'files', root: '/tmp/b' },
    });
    expect(() => migrateTargets(flagsOf('--from', '/tmp/a'))).toThrow(/give one of --to DIR or --to-etcd URLS/);
    expect(() => migrateTargets(flagsOf('--from', '/tmp/a', '--from-etcd', 'h:1', '--to', '/tmp/b'))).toThrow(
      /give one of --from DIR or --from-etcd URLS/,
    );
    expect(() => migrateTargets(flagsOf('--etcd', 'h:1', '--from', '/tmp/a', '--to', '/tmp/b'))).toThrow(/not --root or --etcd/);
    expect(() => migrateTargets(flagsOf('--from', '/tmp/a', '--to', '/tmp/a/'))).toThrow(/the same store/);
  });
});
