// Stops a shared test cluster (see cluster.ts) once the vitest run that
// started it has exited: kills each member by the pid in cluster.json, then
// removes the data folders. Runs detached: `node cluster-reaper.ts RUN_PID DIR`.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const runPid = Number(process.argv[2]);
const dir = process.argv[3]!;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const timer = setInterval(() => {
  if (alive(runPid)) return;
  clearInterval(timer);
  try {
    const state = JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as { members: { pid: number | null }[] };
    for (const m of state.members) {
      if (m.pid !== null && alive(m.pid)) process.kill(m.pid, 'SIGKILL');
    }
  } catch {
    /* no state written: nothing was started */
  }
  // Give the kernel a moment to release the killed members' files before removing them.
  setTimeout(() => rmSync(dir, { recursive: true, force: true }), 300);
}, 500);
