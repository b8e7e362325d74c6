import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Snapshot } from '../../../shared/contract.ts';
import { snapshot } from '../fixtures.ts';
import { createConnectionStore } from '../../src/bridge/connection.ts';
import { createWsBridge } from '../../src/bridge/ws-client.ts';

/** A scriptable stand-in for the browser WebSocket. */
class FakeSocket {
  static instances: FakeSocket[] = [];
  readyState = 0;
  sent: { id: number; method: string; request: unknown }[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  readonly url: string;
  constructor(url: string) {
    this.url = url;
    FakeSocket.instances.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.drop(1000);
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  receive(message: unknown) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  drop(code = 1006, reason = '') {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

function setup() {
  const connection = createConnectionStore();
  const ws = createWsBridge({
    url: 'ws://127.0.0.1:9/api?token=t',
    connection,
    WebSocketImpl: FakeSocket as unknown as new (url: string) => WebSocket,
    backoffMs: (attempt) => attempt * 1000,
    requestTimeoutMs: 5_000,
    now: () => 0,
  });
  const socket = () => FakeSocket.instances[FakeSocket.instances.length - 1]!;
  return { connection, ws, socket };
}

beforeEach(() => {
  FakeSocket.instances = [];
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('WebSocket bridge', () => {
  it('pairs requests with replies by id', async () => {
    const { ws, socket, connection } = setup();
    socket().open();
    expect(connection.getState().status).toBe('open');
    const a = ws.bridge.getTask({ taskId: 'a' });
    const b = ws.bridge.runVerify({});
    const [first, second] = socket().sent;
    expect(first).toEqual({ id: 1, method: 'getTask', request: { taskId: 'a' } });
    expect(second?.method).toBe('runVerify');
    socket().receive({ id: second!.id, result: { ok: true, value: [] } });
    socket().receive({ id: first!.id, result: { ok: false, error: { code: 'NOT_FOUND', message: 'no task a' } } });
    expect(await b).toEqual({ ok: true, value: [] });
    expect(await a).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'no task a' } });
  });

  it('delivers pushed events to listeners until they unsubscribe', () => {
    const { ws, socket } = setup();
    socket().open();
    const seen: Snapshot[] = [];
    const off = ws.bridge.on('reset', (s) => seen.push(s));
    socket().receive({ event: 'reset', payload: snapshot({ seq: 4 }) });
    off();
    socket().receive({ event: 'reset', payload: snapshot({ seq: 5 }) });
    expect(seen.map((s) => s.seq)).toEqual([4]);
  });

  it('ignores malformed frames', () => {
    const { socket } = setup();
    socket().open();
    expect(() => socket().onmessage?.({ data: '{not json' })).not.toThrow();
  });

  it('answers at once with IO_ERROR while not connected', async () => {
    const { ws } = setup();
    const result = await ws.bridge.ready({});
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.code).toBe('IO_ERROR');
  });

  it('fails in-flight requests when the socket drops, then reconnects with back-off', async () => {
    const { ws, socket, connection } = setup();
    socket().open();
    const pending = ws.bridge.ready({});
    socket().drop(1006);
    const result = await pending;
    expect(result.ok).toBe(false);
    expect(connection.getState()).toMatchObject({ status: 'reconnecting', attempt: 1, retryAt: 1000 });
    expect(FakeSocket.instances).toHaveLength(1);
    vi.advanceTimersByTime(1000);
    expect(FakeSocket.instances).toHaveLength(2);
    socket().drop(1006); // the retry fails too: longer wait
    expect(connection.getState()).toMatchObject({ attempt: 2, retryAt: 2000 });
    vi.advanceTimersByTime(1999);
    expect(FakeSocket.instances).toHaveLength(2);
    vi.advanceTimersByTime(1);
    socket().open();
    expect(connection.getState()).toMatchObject({ status: 'open', attempt: 0, retryAt: null });
  });

  it('keeps event listeners across reconnects', () => {
    const { ws, socket } = setup();
    const seqs: number[] = [];
    ws.bridge.on('patch', (p) => seqs.push(p.seq));
    socket().open();
    socket().drop();
    vi.advanceTimersByTime(1000);
    socket().open();
    socket().receive({ event: 'patch', payload: { seq: 9 } });
    expect(seqs).toEqual([9]);
  });

  it('explains a refused token', () => {
    const { socket, connection } = setup();
    socket().drop(1008);
    expect(connection.getState().reason).toMatch(/token/);
  });

  it('times out a request that never gets a reply', async () => {
    const { ws, socket } = setup();
    socket().open();
    const pending = ws.bridge.ready({});
    vi.advanceTimersByTime(5_000);
    const result = await pending;
    expect(!result.ok && result.error.message).toMatch(/No reply/);
  });

  it('stops reconnecting once closed', () => {
    const { ws, socket } = setup();
    socket().open();
    ws.close();
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.instances).toHaveLength(1);
  });
});
