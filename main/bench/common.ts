// Helpers shared by the engine benchmark and its worker processes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** A realistic task update (~400 bytes of JSON), varied by a counter. */
export function taskPayload(counter: number, worker = 0): Record<string, unknown> {
  return {
    title: 'Refactor session token refresh to use the shared retry helper',
    status: counter % 50 === 49 ? 'review' : 'in_progress',
    progress: counter % 101,
    branch: `agent-${worker}/auth-token-refresh`,
    agent: `claude-worker-${worker}`,
    notes: `Step ${counter}: moved refresh logic into auth/refresh.ts, updated call sites in api/client.ts and ws/reconnect.ts; next: tests for expiry races.`,
    files_changed: ['src/auth/refresh.ts', 'src/api/client.ts', 'src/ws/reconnect.ts'],
    tests: { passed: 120 + (counter % 7), failed: counter % 3 === 0 ? 1 : 0 },
    counter,
  };
}

export function byteLength(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/** Nearest-rank percentile of an unsorted sample (the sample is not modified). */
export function percentile(sample: readonly number[], p: number): number {
  if (sample.length === 0) return Number.NaN;
  const sorted = Float64Array.from(sample).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(sample: readonly number[]): number {
  return percentile(sample, 50);
}

export function makeTempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `lockstep-bench-${label}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Filesystem type of the mount holding `path`, from /proc/mounts (Linux), else 'unknown'. */
export function filesystemOf(path: string): string {
  const target = resolve(path);
  try {
    let best = { mount: '', type: 'unknown' };
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [, mountRaw, type] = line.split(' ');
      if (!mountRaw || !type) continue;
      const mount = mountRaw.replace(/\\040/g, ' ');
      const inside = target === mount || target.startsWith(mount.endsWith('/') ? mount : `${mount}/`);
      if (inside && mount.length >= best.mount.length) best = { mount, type };
    }
    return best.mount ? `${best.type} (mounted at ${best.mount})` : 'unknown';
  } catch {
    return 'unknown';
  }
}

export interface MachineInfo {
  cpus: number;
  cpu_model: string;
  node: string;
  platform: string;
  tmpdir: string;
  filesystem: string;
  /** 1-minute load average when the bench started: other work on the machine skews the figures. */
  load_1m: number;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpus: list.length,
    cpu_model: list[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    tmpdir: tmpdir(),
    filesystem: filesystemOf(tmpdir()),
    load_1m: Math.round(loadavg()[0]! * 100) / 100,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}
