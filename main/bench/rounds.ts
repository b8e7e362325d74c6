// Interleaved rounds for single-process figures, shared by the file and etcd
// benchmarks: every runner is measured in short batches, in turn, so slow
// drift of the machine (fsync latency, other load) hits them all alike.
import { makeTempDir, median, percentile, removeDir } from './common.ts';

export const ROUNDS = 15;

export interface Runner {
  name: string;
  /** Measured updates in all (split over the rounds), after `warmup` unmeasured ones. */
  iterations: number;
  warmup: number;
  setup(dir: string): Promise<void> | void;
  op(i: number): Promise<void> | void;
  teardown(): Promise<void> | void;
  /** Bytes of the state written per update, for the report. */
  bytes?: number;
}

export interface SingleResult {
  name: string;
  ops: number;
  seconds: number;
  throughput: number;
  p50_ms: number;
  p99_ms: number;
  round_throughputs: number[];
  state_bytes: number | null;
}

/**
 * Every runner is set up and warmed up once, then the measured iterations run
 * in `rounds` short batches, interleaved (A B C D, B C D A, ...): the virtual
 * disk's fsync latency drifts a lot over seconds, and interleaving makes every
 * runner see the same drift.
 */
export async function runSingle(runners: Runner[], rounds = ROUNDS): Promise<Map<string, SingleResult>> {
  const acc = new Map<string, { lat: number[]; ms: number; ops: number; rounds: number[]; next: number; dir: string }>();
  try {
    for (const r of runners) {
      const dir = makeTempDir(r.name);
      acc.set(r.name, { lat: [], ms: 0, ops: 0, rounds: [], next: 0, dir });
      await r.setup(dir);
      for (let i = 0; i < r.warmup; i++) await r.op(i);
      acc.get(r.name)!.next = r.warmup;
    }
    for (let round = 0; round < rounds; round++) {
      const order = runners.map((_, k) => runners[(k + round) % runners.length]!);
      for (const r of order) {
        const a = acc.get(r.name)!;
        const batch = Math.floor(r.iterations / rounds) + (round < r.iterations % rounds ? 1 : 0);
        const t0 = performance.now();
        for (let i = 0; i < batch; i++) {
          const s = performance.now();
          await r.op(a.next++);
          a.lat.push(performance.now() - s);
        }
        const ms = performance.now() - t0;
        a.ms += ms;
        a.ops += batch;
        a.rounds.push((batch / ms) * 1000);
      }
      if ((round + 1) % 5 === 0 || round === rounds - 1) {
        log(
          `  after round ${String(round + 1).padStart(2)}/${rounds}: ${runners.map((r) => `${r.name} ${fmt((acc.get(r.name)!.ops / acc.get(r.name)!.ms) * 1000, 0)}`).join(', ')} ops/s`,
        );
      }
    }
    for (const r of runners) await r.teardown();
  } finally {
    for (const a of acc.values()) removeDir(a.dir);
  }
  const out = new Map<string, SingleResult>();
  for (const r of runners) {
    const a = acc.get(r.name)!;
    out.set(r.name, {
      name: r.name,
      ops: a.ops,
      seconds: a.ms / 1000,
      throughput: (a.ops / a.ms) * 1000,
      p50_ms: percentile(a.lat, 50),
      p99_ms: percentile(a.lat, 99),
      round_throughputs: a.rounds,
      state_bytes: r.bytes ?? null,
    });
  }
  return out;
}

/** Median over rounds of engine/x throughput in the same round (robust to drift). */
export function pairedRatio(engine: SingleResult, other: SingleResult): number {
  return median(engine.round_throughputs.map((t, k) => t / other.round_throughputs[k]!));
}

// ---- output ----

export function log(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function fmt(x: number, digits = 2): string {
  if (!Number.isFinite(x)) return String(x);
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function pad(s: string, w: number): string {
  return s.length >= w ? s : s + ' '.repeat(w - s.length);
}
