// Named pause points: deterministic windows for tests with real processes.
//
// A test starts a process with LOCKSTEP_TEST_PAUSE=<name>[,<name>…] (a name
// may end in @N to stop at its Nth hit). When the process reaches that point
// it writes one line `lockstep-pause <name> <pid>` to stderr and stops
// itself with SIGSTOP, exactly there; the test does what it wants to race
// against it, then sends SIGCONT. Unset, a pause point is one comparison.
import { writeSync } from 'node:fs';

const requested = parse(process.env.LOCKSTEP_TEST_PAUSE);
const hits = new Map<string, number>();

function parse(value: string | undefined): Map<string, number> | null {
  if (!value) return null;
  const out = new Map<string, number>();
  for (const item of value.split(',')) {
    const [name, nth] = item.trim().split('@');
    if (name) out.set(name, nth ? Math.max(1, Number.parseInt(nth, 10) || 1) : 1);
  }
  return out;
}

export type PausePoint =
  | 'lock.after-join'
  | 'lock.before-return'
  | 'lock.reclaim.before-unlink'
  | 'commit.after-read'
  | 'commit.after-lock-check'
  | 'commit.after-link'
  | 'commit.before-sync'
  | 'session.after-lock-check'
  | 'refresh.before-touch'
  | 'history-read.after-open';

export function pausePoint(name: PausePoint): void {
  if (requested === null) return;
  const nth = requested.get(name);
  if (nth === undefined) return;
  const count = (hits.get(name) ?? 0) + 1;
  hits.set(name, count);
  if (count !== nth) return;
  writeSync(2, `lockstep-pause ${name} ${process.pid}\n`);
  process.kill(process.pid, 'SIGSTOP');
}
