// The `ready` handshake over the serve WebSocket, against a real server on
// loopback: nothing is pushed until the client says ready; then a snapshot
// and every patch after it, with no gap and nothing twice, even while other
// processes write; a second `ready` or a reconnect starts again from a
// fresh snapshot.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Patch, Snapshot } from '../../../shared/contract.ts';
import type { AuditEntry } from '../../../shared/model.ts';
import { apply, mapsOf, SYNCED, SYNCED_NAMES, type Collection, type SyncedMaps } from '../../../shared/sync.ts';
import { openStateStore } from '../../engine/index.ts';
import { seedStore } from '../helpers.ts';
import { serveOnLoopback, type LoopbackServer } from './loopback-server.ts';

let dir: string;
let root: string;
let serving: LoopbackServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-handshake-'));
  root = join(dir, 'state');
  await seedStore({ root }, { t1: { status: 'in_progress' } });
  serving = await serveOnLoopback(dir, { root, activityLimit: 5_000 });
});

afterAll(async () => {
  await serving.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Client {
  ws: WebSocket;
  /** Every message, in order. */
  messages: { id?: number; event?: string; payload?: unknown; result?: { ok: boolean; value?: unknown; error?: { code: string } } }[];
  ask(method: string, request?: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string } }>;
}

function connect(): Promise<Client> {
  const { port, token } = serving.server;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api?token=${token}`, { headers: { Origin: `http://127.0.0.1:${port}` } });
  const messages: Client['messages'] = [];
  let nextId = 1;
  ws.on('message', (data) => messages.push(JSON.parse(data.toString())));
  const client: Client = {
    ws,
    messages,
    ask(method, request = {}) {
      const id = nextId++;
      ws.send(JSON.stringify({ id, method, request }));
      return until(() => messages.find((m) => m.id === id)?.result);
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('error', reject);
  });
}

async function until<T>(value: () => T | undefined | false, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = value();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** What a renderer would hold after applying the events it received, checking seq as it goes. */
function mirrorOf(client: Client): { seq: number; maps: SyncedMaps; activity: AuditEntry[] } {
  let mirror: { seq: number; maps: SyncedMaps; activity: AuditEntry[] } | null = null;
  for (const m of client.messages) {
    if (m.event === 'reset') {
      const s = m.payload as Snapshot;
      mirror = { seq: s.seq, maps: mapsOf(s), activity: [...s.activity] };
    } else if (m.event === 'patch') {
      const p = m.payload as Patch;
      if (!mirror) throw new Error(`patch ${p.seq} before any snapshot`);
      if (p.seq !== mirror.seq + 1) throw new Error(`patch ${p.seq} after ${mirror.seq}: a gap or a duplicate`);
      mirror.seq = p.seq;
      for (const name of SYNCED_NAMES) {
        const section = p[name];
        if (section)
          (mirror.maps as Record<string, ReadonlyMap<string, unknown>>)[name] = apply(
            SYNCED[name] as Collection<unknown>,
            mirror.maps[name],
            section,
          ).map;
      }
      if (p.activity) mirror.activity.push(...p.activity);
    }
  }
  if (!mirror) throw new Error('no snapshot');
  return mirror;
}

describe('serve: the ready handshake', () => {
  it('pushes nothing until the client says ready, then the snapshot before the answer', async () => {
    const client = await connect();
    await new Promise((r) => setTimeout(r, 300));
    expect(client.messages).toEqual([]);
    const answer = await client.ask('ready');
    expect(answer).toEqual({ ok: true, value: { seq: expect.any(Number) } });
    const snapshot = client.messages[0]!;
    expect(snapshot.event).toBe('reset');
    expect(snapshot.payload).toMatchObject({
      root,
      seq: (answer.value as { seq: number }).seq,
      tasks: [expect.objectContaining({ task_id: 't1' })],
    });
    expect(client.messages[1]!.id).toBe(1); // the answer comes after the snapshot
    client.ws.close();
  });

  it('validates ready like every request: an unknown field is refused and nothing is pushed', async () => {
    const client = await connect();
    const answer = await client.ask('ready', { since: 12 });
    expect(answer.ok).toBe(false);
    expect(answer.error?.code).toBe('INVALID_INPUT');
    await new Promise((r) => setTimeout(r, 200));
    expect(client.messages.filter((m) => m.event)).toEqual([]);
    client.ws.close();
  });

  it('while other processes write: each client, ready at a different moment, ends equal to the host with no gap and no duplicate', async () => {
    const script = `import { openStateStore } from ${JSON.stringify(join(import.meta.dirname, '../../engine/index.ts'))};
      const s = openStateStore({ root: process.argv[1], fsync: false });
      for (let i = 0; i < 150; i++) await s.updateTaskState('w' + (i % 20) + '-' + process.argv[2], { i });`;
    const writers = [1, 2].map(
      (n) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(process.execPath, ['--input-type=module', '-e', script, root, String(n)], { stdio: 'inherit' });
          child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer exited ${code}`))));
        }),
    );
    const clients: Client[] = [];
    // Clients join while the writers run, and one says ready a second time (a resync).
    for (let i = 0; i < 4; i++) {
      const client = await connect();
      clients.push(client);
      await client.ask('ready');
      if (i === 1) await client.ask('ready');
      await new Promise((r) => setTimeout(r, 40 + i * 30));
    }
    await Promise.all(writers);
    const store = openStateStore({ root });
    const onDisk = new Map((await store.listTasks()).map((t) => [t.task_id, t.version]));
    await store.close();
    await until(() => [...onDisk].every(([id, v]) => serving.host.snapshot().tasks.find((t) => t.task_id === id)?.version === v));
    // Compared with the host at the seq the clients reached: a snapshot taken once could be passed by a
    // patch of the host's own timers (contention, liveness) before the clients caught up with it.
    let final: Snapshot;
    for (const deadline = Date.now() + 20_000; ;) {
      await serving.host.whenSettled();
      final = serving.host.snapshot();
      if (clients.every((c) => mirrorOf(c).seq === final.seq)) break;
      if (Date.now() > deadline) throw new Error(`clients at ${clients.map((c) => mirrorOf(c).seq)}, host at ${final.seq}`);
      await new Promise((r) => setTimeout(r, 10));
    }

    const expected = mapsOf(final);
    for (const client of clients) {
      const mirror = mirrorOf(client);
      const sorted = (map: ReadonlyMap<string, unknown>) => new Map([...map].sort(([a], [b]) => a.localeCompare(b)));
      for (const name of SYNCED_NAMES) expect(sorted(mirror.maps[name]), name).toEqual(sorted(expected[name]));
      // The activity feed is appended to: an entry sent twice would show twice.
      expect(mirror.activity).toEqual(final.activity);
      client.ws.close();
    }
    expect(clients[1]!.messages.filter((m) => m.event === 'reset')).toHaveLength(2);
  });

  it('a reconnect starts again from a fresh snapshot holding what changed meanwhile', async () => {
    const first = await connect();
    await first.ask('ready');
    first.ws.close();
    const store = openStateStore({ root });
    await store.updateTaskState('while-away', { status: 'queued' });
    await store.close();
    await until(() => serving.host.snapshot().tasks.some((t) => t.task_id === 'while-away'));
    const second = await connect();
    await second.ask('ready');
    const snapshot = second.messages.find((m) => m.event === 'reset')!.payload as Snapshot;
    expect(snapshot.tasks.map((t) => t.task_id)).toContain('while-away');
    second.ws.close();
  });
});
