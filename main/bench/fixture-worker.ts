// A worker process of the fixture generator (spawned by fixture.ts).
// argv[2] is a JSON WorkerJob. Protocol over the IPC channel:
//   worker → parent  { type: 'tasks-done', updates }
//   parent → worker  { type: 'checkpoints', jobs }   (once every worker has written its tasks)
//   worker → parent  { type: 'done', checkpoints }
import { openStateStore } from '../engine/index.ts';
import { writeCheckpoints, writeTasks, type CheckpointJob, type FixturePlan } from './fixture-data.ts';
import { askParent, runWorkerJob, tellParent } from './ipc-worker.ts';

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
    const jobs = await askParent({ type: 'tasks-done', updates }, (msg) =>
      msg.type === 'checkpoints' && Array.isArray(msg.jobs) ? (msg.jobs as CheckpointJob[]) : undefined,
    );
    const checkpoints = await writeCheckpoints(store, jobs);
    await tellParent({ type: 'done', checkpoints });
  } finally {
    store.close();
  }
}

runWorkerJob('fixture-worker', 'fixture.ts', run);
