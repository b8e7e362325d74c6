// The robustness run in the test suite, on each backend: random operations
// by 8 worker processes under SIGSTOP-past-the-lease and kill -9 faults (on
// etcd, also kill -9 of cluster members, the leader among them), then the
// checker over everything recorded. TORTURE_SEED replays a run's choices;
// TORTURE_KEEP=1 keeps its folder for `torture.ts --check DIR`.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ETCD_BIN } from '../etcd/cluster.ts';
import { formatReport, type CheckReport } from './checker.ts';

const DRIVER = fileURLToPath(new URL('./torture.ts', import.meta.url));

/**
 * Seconds of faults per backend. The etcd run also starts a cluster, and its
 * 8 workers each load the etcd client (10–15 s on 2 busy cores), so it gets
 * 20 s of faults to stay within about 45 s in all.
 */
const RUNS = [{ backend: 'files', seconds: 30 }, ...(existsSync(ETCD_BIN) ? [{ backend: 'etcd', seconds: 20 }] : [])] as const;

let reportDir = '';
afterEach(() => rmSync(reportDir, { recursive: true, force: true }));

function runDriver(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [DRIVER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('close', (code) => resolve({ code, output }));
  });
}

describe.each(RUNS)('robustness run [$backend]', ({ backend, seconds }) => {
  it(
    `${seconds} s of faults: no acknowledged commit lost or doubled, no backwards read, one write-lock holder at a time, checkpoints are real states`,
    async () => {
      reportDir = mkdtempSync(join(tmpdir(), 'lockstep-torture-report-'));
      const reportFile = join(reportDir, 'report.json');
      const seed = process.env.TORTURE_SEED ?? String(Math.floor(Math.random() * 2 ** 31));
      const keep = process.env.TORTURE_KEEP ? ['--keep'] : [];
      const { code, output } = await runDriver([
        '--backend',
        backend,
        '--seconds',
        String(seconds),
        '--seed',
        seed,
        '--report',
        reportFile,
        ...keep,
      ]);
      expect(code === 0 || code === 1, `the run itself failed (exit ${code}):\n${output}`).toBe(true);
      const report = JSON.parse(readFileSync(reportFile, 'utf8')) as CheckReport & { run_dir: string; seed: number };
      if (!process.env.TORTURE_KEEP) rmSync(report.run_dir, { recursive: true, force: true });

      // The faults really happened: pauses past the lease and kills, while work went on.
      expect(report.faults.stops_past_lease, output).toBeGreaterThanOrEqual(5);
      expect(report.faults.kills, output).toBeGreaterThanOrEqual(3);
      if (backend === 'etcd') {
        expect(report.faults.member_kills, output).toBeGreaterThanOrEqual(2);
        expect(report.faults.leader_kills, output).toBeGreaterThanOrEqual(1);
      }
      for (const kind of ['plain', 'optimistic', 'locked', 'link', 'checkpoint'] as const) {
        expect(report.ops[kind]?.ok ?? 0, `acknowledged ${kind} operations`).toBeGreaterThan(0);
      }
      expect(report.observations).toBeGreaterThan(0);

      expect(report.violations, `seed ${report.seed}:\n${formatReport(report)}`).toEqual([]);
      expect(code).toBe(0);
    },
    (seconds + 120) * 1000,
  );
});
