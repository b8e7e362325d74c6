// The task panel reads a task's history once, then only what is new: each
// request is counted against a stand-in host that keeps a task's versions
// the way the store does (the newest max_history + 1, numbered one by one).
import { describe, expect, it } from 'vitest';
import { TASK_HISTORY_LIMIT, type RequestOf, type TaskDetail } from '../../../../shared/contract.ts';
import type { TaskState } from '../../../../shared/model.ts';
import { TaskHistoryLoader, type TaskHistoryView } from '../../../src/views/task-detail/task-history.ts';

class FakeHost {
  private versions: TaskState[] = []; // oldest first
  readonly requests: RequestOf<'getTask'>[] = [];
  readonly maxHistory: number;
  fail: Error | null = null;
  /** Bumped when the task is created again: its versions then carry other times. */
  private life = 0;
  /** Answers (read when asked) wait for release() when set. */
  held: (() => void)[] | null = null;

  constructor(maxHistory = 10) {
    this.maxHistory = maxHistory;
  }

  write(fields: Record<string, unknown> = {}): TaskState {
    const version = (this.versions.at(-1)?.version ?? 0) + 1;
    const state = {
      task_id: 'docs',
      version,
      updated_at: `2026-01-01T00:${String(this.life).padStart(2, '0')}:${String(version).padStart(2, '0')}.000Z`,
      updated_by: { owner: 'a' },
      ...fields,
    } as TaskState;
    this.versions.push(state);
    this.versions = this.versions.filter((v) => v.version >= version - this.maxHistory); // pruned
    return state;
  }

  /** Deleted and created again: numbering starts over. */
  recreate(): void {
    this.versions = [];
    this.life += 1;
  }

  get current(): TaskState {
    return this.versions.at(-1)!;
  }

  mark() {
    return { version: this.current.version, updated_at: this.current.updated_at };
  }

  /** The whole list, as a panel opened now would show it. */
  full(): TaskState[] {
    return [...this.versions].reverse().slice(0, TASK_HISTORY_LIMIT);
  }

  getTask = async (request: RequestOf<'getTask'>): Promise<TaskDetail> => {
    this.requests.push(request);
    const fail = this.fail;
    const newestFirst = [...this.versions].reverse();
    const { after } = request;
    const incremental = after !== undefined && after <= this.current.version && this.current.version - after <= TASK_HISTORY_LIMIT;
    const answer: TaskDetail = {
      task_id: 'docs',
      state: this.current,
      history: incremental ? newestFirst.filter((v) => v.version > after) : newestFirst.slice(0, TASK_HISTORY_LIMIT),
      after: incremental ? after : null,
      retained: newestFirst.length,
      error: null,
    };
    if (this.held) await new Promise<void>((r) => this.held!.push(r));
    if (fail) throw fail;
    return answer;
  };
}

/** Lets the loader's promise chains run. */
const settle = () => new Promise((r) => setTimeout(r, 0));
const shown = (view: TaskHistoryView) => view.history?.versions.map((v) => v.version);

/** The mirror reports the host's newest version, and the loader's reads run. */
async function reportNewest(loader: TaskHistoryLoader, host: FakeHost): Promise<void> {
  loader.follow(host.mark());
  await settle();
}

/** The panel opened on the task: a loader that has read its history once. */
async function openPanel(host: FakeHost): Promise<TaskHistoryLoader> {
  const loader = new TaskHistoryLoader('docs', host.getTask);
  await reportNewest(loader, host);
  return loader;
}

describe('task panel history', () => {
  it('reads the history once, then only the versions after the newest it holds, a restore included', async () => {
    const host = new FakeHost();
    for (let i = 0; i < 3; i++) host.write({ step: i });
    const loader = await openPanel(host);
    expect(shown(loader.getView())).toEqual([3, 2, 1]);

    for (let i = 0; i < 3; i++) {
      host.write({ step: 10 + i });
      await reportNewest(loader, host); // the mirror reports the new version
    }
    expect(shown(loader.getView())).toEqual([6, 5, 4, 3, 2, 1]);

    const restored = host.write({ step: 0 }); // what restoreTaskVersion answers
    loader.wrote(restored);
    await settle();
    await reportNewest(loader, host); // the mirror catches up: nothing left to read
    expect(shown(loader.getView())).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(host.requests).toEqual([
      { taskId: 'docs' },
      { taskId: 'docs', after: 3 },
      { taskId: 'docs', after: 4 },
      { taskId: 'docs', after: 5 },
      { taskId: 'docs', after: 6 },
    ]);
  });

  it('drops pruned versions, and counts those retained but not shown', async () => {
    const host = new FakeHost(3);
    host.write();
    host.write();
    const loader = await openPanel(host);
    for (let i = 0; i < 5; i++) {
      host.write({ i });
      await reportNewest(loader, host);
      expect(shown(loader.getView())).toEqual(host.full().map((v) => v.version));
    }
    expect(shown(loader.getView())).toEqual([7, 6, 5, 4]);
    expect(host.requests.filter((r) => r.after === undefined)).toHaveLength(1);

    const big = new FakeHost(1_000);
    for (let i = 0; i < TASK_HISTORY_LIMIT + 5; i++) big.write();
    const capped = await openPanel(big);
    big.write();
    await reportNewest(capped, big);
    expect(capped.getView().history).toMatchObject({ omitted: 6 });
    expect(shown(capped.getView())).toEqual(big.full().map((v) => v.version));
  });

  it('versions written while a request is out are caught up by one more request', async () => {
    const host = new FakeHost();
    host.write();
    const loader = await openPanel(host);
    host.held = [];
    host.write();
    loader.follow(host.mark());
    for (let i = 0; i < 3; i++) {
      host.write();
      loader.follow(host.mark()); // arrives while the request for v2 is out
    }
    const waiting = host.held;
    host.held = null;
    waiting.forEach((release) => release());
    await settle();
    await settle();
    expect(shown(loader.getView())).toEqual([5, 4, 3, 2, 1]);
    expect(host.requests.map((r) => r.after)).toEqual([undefined, 1, 2]);
  });

  it('a history read ahead of the mirror is kept: the mirror catching up asks for nothing', async () => {
    const host = new FakeHost();
    host.write();
    const loader = await openPanel(host);
    host.write();
    const v2 = host.mark();
    host.write();
    host.write(); // v3 and v4 are on disk before the mirror's patch for v2 arrives
    loader.follow(v2);
    await settle();
    expect(shown(loader.getView())).toEqual([4, 3, 2, 1]);
    loader.follow({ version: 3, updated_at: host.full()[1]!.updated_at }); // the mirror's patches, late
    await reportNewest(loader, host);
    expect(host.requests).toEqual([{ taskId: 'docs' }, { taskId: 'docs', after: 1 }]);
  });

  it('reads the whole history again when the task went back (deleted and created again)', async () => {
    const host = new FakeHost();
    for (let i = 0; i < 4; i++) host.write();
    const loader = await openPanel(host);
    host.recreate();
    host.write({ fresh: true });
    await reportNewest(loader, host);
    expect(shown(loader.getView())).toEqual([1]);
    expect(loader.getView().history?.versions[0]).toMatchObject({ fresh: true });
    expect(host.requests.at(-1)).toEqual({ taskId: 'docs' });
  });

  it('after a failed request waits for Retry, which reads everything', async () => {
    const host = new FakeHost();
    host.write();
    const loader = await openPanel(host);
    host.fail = new Error('connection lost');
    host.write();
    await reportNewest(loader, host);
    expect(loader.getView()).toMatchObject({ loading: false, loadError: { code: 'INTERNAL', message: 'connection lost' } });
    expect(shown(loader.getView())).toEqual([1]); // what was shown stays
    await reportNewest(loader, host);
    expect(host.requests).toHaveLength(2); // no retry loop
    host.fail = null;
    loader.reload();
    await settle();
    expect(loader.getView().loadError).toBeNull();
    expect(shown(loader.getView())).toEqual([2, 1]);
    expect(host.requests.at(-1)).toEqual({ taskId: 'docs' });
  });
});
