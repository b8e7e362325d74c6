// A worker process of the fixture generator (spawned by fixture.ts).
// argv[2] is a JSON WorkerJob. Protocol over the IPC channel:
//   worker → parent  { type: 'tasks-done', updates }
//   parent → worker  { type: 'checkpoints', jobs }   (once every worker has written its tasks)
//   worker → parent  { type: 'done', checkpoints }
import { openStateStore } from '../engine/index.ts';
import { writeCheckpoints, writeTasks, type CheckpointJob, type FixturePlan } from './fixture-data.ts';

export interface WorkerJob {
  out: string;
  plan: FixturePlan;
  sessionIds: string[];
  from: number;
  to: number;
  maxHistory: number;
}

async function run(job: WorkerJob): Promise<void> {
  const store = openStateStore({ root: job.out, fsync: false, max_history: job.maxHistory });
  try {
    const updates = await writeTasks(store, job.plan, job.sessionIds, job.from, job.to);
    const jobs = await new Promise<CheckpointJob[]>((resolve) => {
      process.on('message', (msg: { type?: string; jobs?: CheckpointJob[] }) => {
        if (msg.type === 'checkpoints' && Array.isArray(msg.jobs)) resolve(msg.jobs);
      });
      process.send!({ type: 'tasks-done', updates });
    });
    const checkpoints = await writeCheckpoints(store, jobs);
    await new Promise<void>((resolve) => process.send!({ type: 'done', checkpoints }, () => resolve()));
  } finally {
    store.close();
  }
  process.disconnect();
}

if (!process.send) {
  process.stderr.write('fixture-worker.ts is started by fixture.ts (it needs an IPC channel)\n');
  process.exit(2);
}
run(JSON.parse(process.argv[2] ?? '{}') as WorkerJob).catch((err: unknown) => {
  process.stderr.write(`fixture worker failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
