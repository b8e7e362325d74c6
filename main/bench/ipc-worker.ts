// The life of a benchmark worker process (contention-worker.ts,
// fixture-worker.ts): its parent starts it with an IPC channel and its job as
// JSON in argv[2]; they talk in messages over that channel.

/**
 * Run this process's job. Without the parent's IPC channel (started by hand)
 * it says who starts it and exits 2; a job that fails prints its stack and
 * exits 1. The channel is closed once the job is done, so the process can end.
 */
export function runWorkerJob<Job>(name: string, startedBy: string, run: (job: Job) => Promise<void>): void {
  if (!process.send) {
    process.stderr.write(`${name}.ts is started by ${startedBy} (it needs an IPC channel)\n`);
    process.exit(2);
  }
  run(JSON.parse(process.argv[2] ?? '{}') as Job).then(
    () => process.disconnect(),
    (err: unknown) => {
      process.stderr.write(`${name} failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}

/** Send `message` to the parent, resolved once it is handed over (a disconnect right after loses nothing). */
export function tellParent(message: object): Promise<void> {
  return new Promise((resolve) => process.send!(message, () => resolve()));
}

/** Send `message` to the parent, then wait for the first reply that `answer` accepts (not undefined). */
export function askParent<T>(message: object, answer: (reply: Record<string, unknown>) => T | undefined): Promise<T> {
  return new Promise((resolve) => {
    process.on('message', (reply: Record<string, unknown>) => {
      const value = answer(reply);
      if (value !== undefined) resolve(value);
    });
    process.send!(message);
  });
}
