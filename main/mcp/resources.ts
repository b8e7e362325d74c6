// Resources: each task is `lockstep://tasks/<id>` (its current state) and
// the lock table is `lockstep://locks`. A client may subscribe to any of
// them; the store's change feed, started on the first subscription and
// closed with the last, tells us when to send `notifications/resources/updated`.
import { ErrorCode, McpError, type ReadResourceResult, type Resource, type ResourceTemplate } from '@modelcontextprotocol/sdk/types.js';
import { isTaskId } from '../../shared/ids.ts';
import type { ChangeFeed, StateStore, StoreChange } from '../engine/public.ts';

export const LOCKS_URI = 'lockstep://locks';
const TASK_URI_PREFIX = 'lockstep://tasks/';
/** The MCP error code for a resource that does not exist. */
const RESOURCE_NOT_FOUND = -32002;
/** Resources per resources/list page. */
const PAGE_SIZE = 1_000;
/** Changes that arrive within this window are sent as one notification per resource. */
const COALESCE_MS = 25;
/** Resources one client may subscribe to: every task of a large root, but not unbounded memory. */
export const MAX_SUBSCRIPTIONS = 10_000;

export const TASK_TEMPLATE: ResourceTemplate = {
  uriTemplate: `${TASK_URI_PREFIX}{task_id}`,
  name: 'task',
  title: 'A task',
  description: "A task's current state (JSON). Subscribe to be told when it changes.",
  mimeType: 'application/json',
};

const LOCKS_RESOURCE: Resource = {
  uri: LOCKS_URI,
  name: 'locks',
  title: 'Lock table',
  description: 'Every lock holder with its waiters (JSON, as list_locks). Subscribe to be told when a lock is taken, released or awaited.',
  mimeType: 'application/json',
};

export function taskUri(id: string): string {
  return `${TASK_URI_PREFIX}${id}`;
}

/** What a URI names. Parsed by hand, never normalized: `tasks/../x` is not a task. */
export function parseUri(uri: string): { kind: 'locks' } | { kind: 'task'; taskId: string } {
  if (uri === LOCKS_URI) return { kind: 'locks' };
  if (uri.startsWith(TASK_URI_PREFIX)) {
    const id = uri.slice(TASK_URI_PREFIX.length);
    if (isTaskId(id)) return { kind: 'task', taskId: id };
    throw new McpError(
      ErrorCode.InvalidParams,
      `invalid task id in ${JSON.stringify(uri.slice(0, 300))}: 1-128 letters, digits, ".", "_" or "-"`,
    );
  }
  throw new McpError(
    ErrorCode.InvalidParams,
    `unknown resource ${JSON.stringify(uri.slice(0, 300))}: expected ${LOCKS_URI} or ${TASK_URI_PREFIX}<task id>`,
  );
}

export async function listResources(
  store: StateStore,
  cursor: string | undefined,
): Promise<{ resources: Resource[]; nextCursor?: string }> {
  const start = cursor === undefined ? 0 : Number(cursor);
  if (!Number.isSafeInteger(start) || start < 0) throw new McpError(ErrorCode.InvalidParams, `invalid cursor ${JSON.stringify(cursor)}`);
  const ids = await store.listTaskIds();
  const page = ids.slice(start, start + PAGE_SIZE).map((id): Resource => ({ uri: taskUri(id), name: id, mimeType: 'application/json' }));
  const resources = start === 0 ? [LOCKS_RESOURCE, ...page] : page;
  return start + PAGE_SIZE < ids.length ? { resources, nextCursor: String(start + PAGE_SIZE) } : { resources };
}

export async function readResource(store: StateStore, uri: string, lockTable: () => Promise<unknown>): Promise<ReadResourceResult> {
  const target = parseUri(uri);
  let value: unknown;
  if (target.kind === 'locks') {
    value = await lockTable();
  } else {
    value = await store.getTaskState(target.taskId);
    if (value === null) throw new McpError(RESOURCE_NOT_FOUND, `task ${target.taskId} does not exist`, { uri });
  }
  return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(value) }] };
}

/**
 * The resources a client subscribed to, and the feed that watches them.
 * `notify` sends one `resources/updated`; failures are the transport's
 * business (the client may be gone), never ours.
 */
export class Subscriptions {
  private readonly uris = new Set<string>();
  private feed: ChangeFeed | null = null;
  private starting: Promise<void> | null = null;
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  private readonly store: StateStore;
  private readonly notify: (uri: string) => Promise<void>;
  private readonly log: (line: string) => void;

  constructor(store: StateStore, notify: (uri: string) => Promise<void>, log: (line: string) => void) {
    this.store = store;
    this.notify = notify;
    this.log = log;
  }

  async subscribe(uri: string): Promise<void> {
    parseUri(uri);
    if (!this.uris.has(uri) && this.uris.size >= MAX_SUBSCRIPTIONS) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `this connection already has ${MAX_SUBSCRIPTIONS} subscriptions: unsubscribe from some first`,
      );
    }
    this.uris.add(uri);
    // Resolve once the feed is live, so a change made after this call is never missed.
    await this.ensureFeed();
  }

  async unsubscribe(uri: string): Promise<void> {
    this.uris.delete(uri);
    if (this.uris.size === 0) await this.stopFeed();
  }

  async close(): Promise<void> {
    this.uris.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.stopFeed();
  }

  private ensureFeed(): Promise<void> {
    if (this.feed) return Promise.resolve();
    this.starting ??= (async () => {
      // The cursor is taken before the watches go up: the feed reports what changed in between.
      const cursor = await this.store.feedCursor();
      const feed = this.store.watch(
        {
          onChange: (change) => this.onChange(change),
          onStatus: () => {},
          onRescan: async () => this.markAll(),
        },
        cursor,
      );
      try {
        await feed.start();
        this.feed = feed;
      } catch (err) {
        await feed.close().catch(() => {});
        throw err;
      } finally {
        this.starting = null;
      }
    })();
    return this.starting;
  }

  private async stopFeed(): Promise<void> {
    await this.starting?.catch(() => {});
    if (this.uris.size > 0 || !this.feed) return; // someone subscribed again meanwhile
    const feed = this.feed;
    this.feed = null;
    await feed.close();
  }

  private onChange(change: StoreChange): void {
    switch (change.kind) {
      case 'task':
        this.mark(taskUri(change.taskId));
        break;
      case 'lock':
        this.mark(LOCKS_URI);
        break;
      case 'root':
        this.markAll();
        break;
      default:
        break; // sessions, checkpoints, logs, config: not resources
    }
  }

  private markAll(): void {
    for (const uri of this.uris) this.mark(uri);
  }

  private mark(uri: string): void {
    if (!this.uris.has(uri)) return;
    this.pending.add(uri);
    this.timer ??= setTimeout(() => this.flush(), COALESCE_MS);
  }

  private flush(): void {
    this.timer = null;
    const uris = [...this.pending];
    this.pending.clear();
    for (const uri of uris) {
      this.notify(uri).catch((err: unknown) => this.log(`could not notify ${uri}: ${(err as Error).message}`));
    }
  }
}
