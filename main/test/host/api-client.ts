// A well-behaved dashboard WebSocket client for the serve tests: it says
// `ready` on open, then gets the snapshot, patches, and request/answer pairs
// by id, as the renderer uses them.
import WebSocket from 'ws';

export interface Answer {
  id: number;
  result: { ok: boolean; value?: unknown; error?: { code: string; message: string } };
}

export interface ApiClient {
  ws: WebSocket;
  /** The `reset` event's payload (the snapshot). */
  snapshot: Promise<{ tasks: { task_id: string; status: string | null }[]; seq: number }>;
  /** Every event received, in order. */
  events: { event: string; payload: unknown }[];
  ask(method: unknown, request?: unknown): Promise<Answer>;
  /** Send the text `build(id)` makes (JSON too deep to build with JSON.stringify) and wait for the answer to `id`. */
  askText(build: (id: number) => string): Promise<Answer>;
  /** Send raw text (or bytes as a text frame) without waiting for anything. */
  sendRaw(data: string | Buffer, binary?: boolean): void;
  /** The close code, once the connection closes. */
  closed: Promise<number>;
}

export function openApi(port: number, token: string, host = '127.0.0.1'): Promise<ApiClient> {
  const origin = `http://${host}:${port}`;
  const ws = new WebSocket(`ws://${host}:${port}/api?token=${encodeURIComponent(token)}`, { headers: { Origin: origin } });
  const waiting = new Map<number, (answer: Answer) => void>();
  const events: ApiClient['events'] = [];
  let nextId = 1;
  let gotSnapshot!: (s: Awaited<ApiClient['snapshot']>) => void;
  const snapshot = new Promise<Awaited<ApiClient['snapshot']>>((r) => (gotSnapshot = r));
  const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
  ws.on('error', () => {}); // the close code is what the tests look at
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString()) as { id?: number; event?: string; payload?: unknown } & Answer;
    if (typeof msg.id === 'number') {
      waiting.get(msg.id)?.(msg);
      waiting.delete(msg.id);
    } else if (msg.event) {
      events.push({ event: msg.event, payload: msg.payload });
      if (msg.event === 'reset') gotSnapshot(msg.payload as Awaited<ApiClient['snapshot']>);
    }
  });
  const client: ApiClient = {
    ws,
    snapshot,
    events,
    closed,
    ask(method, request = {}) {
      return client.askText((id) => JSON.stringify({ id, method, request }));
    },
    askText(build) {
      const id = nextId++;
      const answer = new Promise<Answer>((resolve, reject) => {
        waiting.set(id, resolve);
        void closed.then((code) => reject(new Error(`connection closed (${code}) before answer ${id}`)));
      });
      ws.send(build(id));
      return answer;
    },
    sendRaw(data, binary = false) {
      ws.send(data, { binary });
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      void client.ask('ready').catch(() => {}); // a test that closes at once never gets the answer
      resolve(client);
    });
    ws.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}
