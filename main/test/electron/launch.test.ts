// `npm start` on a fresh machine, with a stand-in `electron` package laid out
// like Electron 45's: no binary until its install.js runs. The launcher runs
// as `npm start` runs it (node main/electron/launch.ts, in the project folder).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const LAUNCHER = resolve('main/electron/launch.ts');

/** The stand-in's install.js: logs each run, prints progress, then writes the binary and path.txt (or fails, as offline). */
const INSTALLER = `
const fs = require('fs');
const path = require('path');
fs.appendFileSync(path.join(__dirname, 'installs.log'), 'run\\n');
if (process.env.STANDIN_INSTALL === 'fail') {
  console.error('RequestError: getaddrinfo ENOTFOUND github.com');
  process.exit(1);
}
console.log('stand-in download: 100% of 110 MB');
if (process.env.STANDIN_INSTALL === 'no-binary') {
  fs.writeFileSync(path.join(__dirname, 'path.txt'), 'electron');
  process.exit(0);
}
fs.mkdirSync(path.join(__dirname, 'dist'), { recursive: true });
fs.writeFileSync(path.join(__dirname, 'dist', 'electron'), ${JSON.stringify(`#!${process.execPath}\n`)} + fs.readFileSync(path.join(__dirname, 'binary.js'), 'utf8'), { mode: 0o755 });
fs.writeFileSync(path.join(__dirname, 'path.txt'), 'electron');
`;

/** The stand-in Electron binary: records how it was started, exits with the code asked for. */
const BINARY = `
require('fs').writeFileSync(process.env.STANDIN_RECORD, JSON.stringify({ argv: process.argv.slice(2), cwd: process.cwd() }));
process.exit(Number(process.env.STANDIN_EXIT ?? 0));
`;

describe('npm start: Electron downloaded on first run', () => {
  let project: string;
  let electronDir: string;
  let record: string;

  beforeEach(() => {
    project = mkdtempSync(join(tmpdir(), 'lockstep-launch-'));
    electronDir = join(project, 'node_modules', 'electron');
    mkdirSync(electronDir, { recursive: true });
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'project', private: true }));
    writeFileSync(join(electronDir, 'package.json'), JSON.stringify({ name: 'electron', version: '45.4.1', main: 'index.js' }));
    writeFileSync(join(electronDir, 'install.js'), INSTALLER);
    writeFileSync(join(electronDir, 'binary.js'), BINARY);
    record = join(project, 'started.json');
  });

  afterEach(() => rmSync(project, { recursive: true, force: true }));

  function start(env: Record<string, string> = {}, args: string[] = ['--root', '/tmp/some-root']) {
    const { ELECTRON_PATH: _p, ELECTRON_SKIP_BINARY_DOWNLOAD: _s, ELECTRON_OVERRIDE_DIST_PATH: _o, ...base } = process.env;
    const r = spawnSync(process.execPath, [LAUNCHER, ...args], {
      cwd: project,
      encoding: 'utf8',
      env: { ...base, STANDIN_RECORD: record, ...env },
      timeout: 30_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }
  const installerRuns = () =>
    existsSync(join(electronDir, 'installs.log'))
      ? readFileSync(join(electronDir, 'installs.log'), 'utf8').split('\n').filter(Boolean).length
      : 0;
  const started = () => (existsSync(record) ? (JSON.parse(readFileSync(record, 'utf8')) as { argv: string[]; cwd: string }) : null);

  it("runs Electron's installer with its progress shown, then starts the app with the user's arguments", () => {
    const r = start({ STANDIN_EXIT: '3' });
    expect(r.stderr).toContain('downloading Electron 45.4.1');
    expect(r.stdout).toContain('stand-in download: 100% of 110 MB'); // the installer's own output reaches the terminal
    expect(installerRuns()).toBe(1);
    expect(started()).toEqual({ argv: ['out/main/main.js', '--root', '/tmp/some-root'], cwd: project });
    expect(r.code).toBe(3); // the app's exit code is npm start's
    expect(r.stderr).not.toContain('cannot open the desktop app');
  });

  it('downloads only once: the next start opens the app directly', () => {
    expect(start().code).toBe(0);
    rmSync(record);
    const second = start();
    expect(second.code).toBe(0);
    expect(second.stderr).not.toContain('downloading');
    expect(installerRuns()).toBe(1);
    expect(started()?.argv[0]).toBe('out/main/main.js');
  });

  it('when the download fails, says why, points to lockstep serve and exits non-zero', () => {
    const r = start({ STANDIN_INSTALL: 'fail' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ENOTFOUND github.com'); // the installer's own reason
    expect(r.stderr).toContain('the Electron download failed: its installer exited with code 1');
    expect(r.stderr).toContain('npx lockstep serve');
    expect(started()).toBeNull();
  });

  it('when the installer succeeds without leaving a binary, says which file is missing', () => {
    const r = start({ STANDIN_INSTALL: 'no-binary' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the Electron installer finished, but ${join(electronDir, 'dist', 'electron')} is missing`);
    expect(started()).toBeNull();
  });

  it('with ELECTRON_SKIP_BINARY_DOWNLOAD set, downloads nothing and points to lockstep serve', () => {
    const r = start({ ELECTRON_SKIP_BINARY_DOWNLOAD: '1' });
    expect(r.code).toBe(1);
    expect(installerRuns()).toBe(0);
    expect(r.stderr).toContain('ELECTRON_SKIP_BINARY_DOWNLOAD is set');
    expect(r.stderr).toContain('npx lockstep serve');
    expect(started()).toBeNull();
  });

  it('uses ELECTRON_PATH without downloading, and names it when it does not exist', () => {
    start(); // installs the stand-in binary
    rmSync(record);
    const binary = join(electronDir, 'dist', 'electron');
    rmSync(join(electronDir, 'path.txt'));
    expect(start({ ELECTRON_PATH: binary }).code).toBe(0);
    expect(started()?.argv).toEqual(['out/main/main.js', '--root', '/tmp/some-root']);
    expect(installerRuns()).toBe(1);

    const missing = start({ ELECTRON_PATH: join(project, 'nowhere', 'electron') });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`ELECTRON_PATH is ${join(project, 'nowhere', 'electron')}, which does not exist`);
    expect(installerRuns()).toBe(1);
  });

  it('explains a missing electron package instead of failing with a stack trace', () => {
    rmSync(electronDir, { recursive: true });
    const r = start();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the electron package is not installed (run "npm install")');
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});
