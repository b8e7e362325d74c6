// The packaged app's hardening, as electron-builder reads it from
// package.json: a valid configuration whose Electron fuses are set as the
// security checklist asks (the demo runs as utility processes, so RunAsNode
// can be off).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
  validateConfiguration(config: unknown, logger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { build: Record<string, unknown>; allowScripts: Record<string, boolean> };

describe('packaging', () => {
  it('sets the Electron fuses: no RunAsNode, NODE_OPTIONS or --inspect; encrypted cookies; only an integrity-checked app.asar; no extra file:// privileges', () => {
    expect(pkg.build.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('is a configuration electron-builder accepts (and it refuses a misspelt fuse)', async () => {
    await expect(validateConfiguration(pkg.build, new DebugLogger(false))).resolves.toBeUndefined();
    const typo = { ...pkg.build, electronFuses: { runAsNod: false } };
    await expect(validateConfiguration(typo, new DebugLogger(false))).rejects.toThrow(/does not match the API schema/);
  });

  it('covers every dependency install script in allowScripts, so npm 11 has nothing to ask a new user', () => {
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
      packages: Record<string, { version: string; hasInstallScript?: boolean }>;
    };
    const withScripts = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript)
      .map(([path, entry]) => ({ name: path.replace(/^.*node_modules\//, ''), version: entry.version }));
    expect(withScripts.length).toBeGreaterThan(0);
    for (const { name, version } of withScripts) {
      expect(pkg.allowScripts[name], `${name}@${version}`).toBeTypeOf('boolean');
    }
    // esbuild's postinstall checks (and if need be fetches) its native binary, which the build uses;
    // electron-winstaller's only prepares 7-Zip for Squirrel.Windows installers, a target we do not build.
    // protobufjs's (pulled in by etcd3's gRPC client) only warns about dependents' version schemes.
    // Both by name: the lockfile has no `resolved` URLs, and npm only trusts a pinned name@version it can read from one.
    expect(pkg.allowScripts).toEqual({ esbuild: true, 'electron-winstaller': false, protobufjs: false });
  });
});
