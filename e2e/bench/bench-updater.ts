// Child process of the UI benchmark. Mode "probe": commits updates to the
// probe tasks at a steady pace and prints `version commitTime` per update.
// Mode "load": writes a steady background load to random fixture tasks.
import { openStateStore } from '../../main/engine/index.ts';
import { preciseNow } from './figures.ts';

const [mode = 'probe', root = '', countArg = '240', rateArg = '40', tasksArg = '20'] = process.argv.slice(2);
const store = openStateStore({ root, owner: mode === 'probe' ? 'latency-probe' : 'background-load' });
const count = Number(countArg);
const perSecond = Number(rateArg);
const tasks = Number(tasksArg);
const interval = 1000 / perSecond;

if (mode === 'probe') {
  for (let i = 0; i < count; i++) {
    const started = Date.now();
    const id = `probe-${(i % tasks) + 1}`;
    const state = await store.updateTaskState(id, { status: 'in_progress', progress: i % 100, probe: i });
    process.stdout.write(`${id} ${state.version} ${preciseNow().toFixed(3)}\n`);
    await new Promise((r) => setTimeout(r, Math.max(0, interval - (Date.now() - started))));
  }
} else {
  const ids = await store.listTaskIds();
  const pool = ids.filter((id) => !id.startsWith('probe-'));
  let stop = false;
  process.on('SIGTERM', () => (stop = true));
  let next = Date.now();
  let n = 0;
  while (!stop) {
    const id = pool[Math.floor(Math.random() * pool.length)]!;
    await store.updateTaskState(id, { status: ['in_progress', 'review', 'completed'][n % 3]!, load: n++ });
    next += interval;
    await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
  }
  process.stdout.write(`${n}\n`);
}
store.close();
