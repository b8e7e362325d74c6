// `lockstep serve` cannot be killed from outside. One real serve process
// (the CLI, as a user starts it) gets well over 300 hostile HTTP requests,
// WebSocket handshakes and frames, half-open and slow connections, and a
// hand-written state.json nested 10,000 levels deep; then the same process
// must still serve the page and answer the API, and its stderr must show
// each kind of refusal, bounded, and never the token.
//
// The inputs come from a seeded PRNG; the seed is printed. To repeat a run:
// LOCKSTEP_FUZZ_SEED=<seed> npx vitest run main/host/test/serve-fuzz.test.ts
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStateStore } from '../../engine/index.ts';
import { killChildren, makeTempDir, removeTempDirs, REPO, sleep, spawnCli, type Proc } from '../helpers.ts';
import { openApi, type Answer } from './api-client.ts';
import {
  deepArray,
  deepObject,
  Dice,
  holdOpen,
  httpRequest,
  inPool,
  rawExchange,
  rawRequest,
  rawWebSocket,
  socketsHeldBy,
  upgradeHeaders,
  wsFrame,
  type RawReply,
} from './hostile-clients.ts';

const SEED = process.env.LOCKSTEP_FUZZ_SEED ? Number(process.env.LOCKSTEP_FUZZ_SEED) : randomInt(2 ** 31);
const dice = new Dice(SEED);
const WS_LIMIT = 64 * 1024; // WS_MAX_MESSAGE_BYTES

let root: string;
let serve: Proc;
let port: number;
let token: string;
/** Hostile inputs sent, by kind. */
const sent = new Map<string, number>();

function count(kind: string, n = 1): void {
  sent.set(kind, (sent.get(kind) ?? 0) + n);
}

/** Fail with the seed and the server's last words. */
function context(what: string): string {
  return `${what} (seed ${SEED}; serve stderr tail: ${serve.stderr.slice(-1500)})`;
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  return { Host: `127.0.0.1:${port}`, Connection: 'close', ...extra };
}

/** The same serve process is alive and serves the page. */
async function expectAlive(after: string): Promise<void> {
  expect(serve.child.exitCode, context(`serve exited after ${after}`)).toBeNull();
  expect(serve.child.signalCode, context(`serve was killed after ${after}`)).toBeNull();
  const page = await rawRequest(port, httpRequest('GET', `/?token=${token}`, headers()));
  expect(page.status, context(`GET / after ${after}`)).toBe(200);
}

beforeAll(async () => {
  console.log(`serve fuzz: seed ${SEED} (LOCKSTEP_FUZZ_SEED=${SEED} repeats this run)`);
  if (!existsSync(join(REPO, 'out', 'renderer', 'index.html'))) {
    throw new Error('the serve fuzz test serves the built dashboard: run "npm run build" first (npm test does)');
  }
  root = join(makeTempDir('lockstep-fuzz-'), 'state');
  const store = openStateStore({ root });
  await store.init();
  await store.updateTaskState('t1', { status: 'in_progress' });
  await store.updateTaskState('deep', { status: 'in_progress' });
  store.close();
  serve = spawnCli(root, ['serve', '--port', '0']);
  const url = new URL(await serve.waitForLine((l) => l.startsWith('http://')));
  port = Number(url.port);
  token = url.searchParams.get('token')!;
  // Loaded: the count of tasks is printed once the state is read.
  for (let i = 0; i < 200 && !serve.stderr.includes('tasks from'); i++) await sleep(50);
});

afterAll(async () => {
  await killChildren();
  removeTempDirs();
});

// ---- hostile HTTP requests ------------------------------------------------------

/** Each is followed by "/", so no hex digit completes it. */
const MALFORMED_ESCAPES = ['%', '%4', '%G1', '%zz', '%E0%A4%A', '%c0%ae%c0%ae', '%ED%A0%80', '%ff', '%C3', '%F0%9F%98', '%80'];
const UNPARSABLE = ['//[', '//[::1', '//a:b:c', '//:99999', '//%', '//a%zz', '//x:-1', '//[::g]', '//1.2.3.4.5', '//@', '//a:99999999'];
const OTHER_METHODS = ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'MKCOL', 'LOCK', 'SEARCH', 'PURGE'];

interface HttpCase {
  kind: string;
  request: string | Buffer;
  /** Acceptable statuses; null: no answer is acceptable too (the server closed or waited). */
  expect: (number | null)[];
  timeoutMs?: number;
}

function seg(): string {
  return dice.text(1 + dice.int(12));
}

/** `n` cases: every kind once (so each is always covered), then kinds at random. */
function cases<T>(kinds: (() => T)[], n: number): T[] {
  return [...kinds.map((k) => k()), ...Array.from({ length: n - kinds.length }, () => dice.pick(kinds)())];
}

function httpCases(n: number): HttpCase[] {
  const kinds: (() => HttpCase)[] = [
    () => ({
      kind: 'malformed percent-encoding',
      request: httpRequest('GET', `/${seg()}${dice.pick(MALFORMED_ESCAPES)}/${seg()}`, headers()),
      expect: [400],
    }),
    () => ({
      kind: 'malformed percent-encoding',
      request: httpRequest('GET', `/${dice.pick(MALFORMED_ESCAPES)}/etc/passwd?token=${token}`, headers()),
      expect: [400],
    }),
    () => ({ kind: 'unparsable URL', request: httpRequest('GET', `${dice.pick(UNPARSABLE)}/${seg()}`, headers()), expect: [400] }),
    () => ({
      kind: 'control character',
      request: httpRequest('GET', `/${seg()}${dice.pick(['%00', '%01', '%0a', '%0d', '%1f', '%7f'])}/${seg()}`, headers()),
      expect: [400],
    }),
    () => ({
      kind: 'unknown method',
      request: httpRequest(`X${dice.text(2 + dice.int(10), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')}`, '/', headers()),
      expect: [501],
    }),
    () => ({
      kind: 'other method',
      request: httpRequest(dice.pick(OTHER_METHODS), '/', headers({ 'Content-Length': '5' }), 'hello'),
      expect: [405],
    }),
    () => ({
      kind: 'foreign Host',
      request: httpRequest('GET', '/', {
        Host: dice.pick([`evil.example:${port}`, `127.0.0.1:${port + 1}`, 'localhost', `${seg()}.test`]),
        Connection: 'close',
      }),
      expect: [421],
    }),
    () => ({ kind: 'no Host', request: `GET / HTTP/1.0\r\n\r\n`, expect: [421] }),
    () => ({ kind: 'bad header', request: `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nBad Header${seg()}: x\r\n\r\n`, expect: [400] }),
    // The server may close before reading all of it; the client can then see a reset instead of the 431.
    () => ({
      kind: 'headers too large',
      request: httpRequest('GET', '/', headers({ 'X-Big': 'a'.repeat(17_000 + dice.int(20_000)) })),
      expect: [431, null],
    }),
    () => ({
      kind: 'TLS hello and garbage',
      request: Buffer.concat([Buffer.from([0x16, 0x03, 0x01]), dice.bytes(20 + dice.int(400))]),
      expect: [501, 400, null],
    }),
    () => ({ kind: 'HTTP/2 preface', request: 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', expect: [400, 505, null] }),
    () => ({
      kind: 'path traversal',
      request: httpRequest(
        'GET',
        dice.pick([
          '/../../../../etc/passwd',
          '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
          '/assets/..%2f..%2f..%2fetc%2fpasswd',
          '/..\\..\\etc\\passwd',
        ]),
        headers(),
      ),
      expect: [200, 403, 404],
    }),
    () => ({
      kind: 'request smuggling',
      request: httpRequest('POST', '/', headers({ 'Content-Length': '4', 'Transfer-Encoding': 'chunked' }), '0\r\n\r\n'),
      expect: [400],
    }),
    () => ({ kind: 'unknown Expect', request: httpRequest('GET', '/', headers({ Expect: `x-${seg()}` })), expect: [417] }),
    () => ({ kind: 'CONNECT', request: `CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n`, expect: [405] }),
    () => ({
      kind: 'WebSocket upgrade, unparsable URL',
      request: httpRequest('GET', dice.pick(UNPARSABLE), upgradeHeaders(port)),
      expect: [400],
    }),
    () => ({ kind: 'WebSocket upgrade, other path', request: httpRequest('GET', `/${seg()}`, upgradeHeaders(port)), expect: [404] }),
    () => ({
      kind: 'WebSocket upgrade, foreign Origin',
      request: httpRequest('GET', `/api?token=${token}`, upgradeHeaders(port, { Origin: 'http://evil.example' })),
      expect: [403],
    }),
    () => ({
      kind: 'WebSocket upgrade, wrong token',
      request: httpRequest('GET', `/api?token=${seg()}`, upgradeHeaders(port)),
      expect: [401],
    }),
    () => ({
      kind: 'WebSocket upgrade, bad handshake',
      request: httpRequest(
        'GET',
        `/api?token=${token}`,
        upgradeHeaders(port, { 'Sec-WebSocket-Version': '7', 'Sec-WebSocket-Key': seg() }),
      ),
      expect: [400],
    }),
    () => ({
      kind: 'WebSocket upgrade, wrong method',
      request: httpRequest('POST', `/api?token=${token}`, upgradeHeaders(port)),
      expect: [405],
    }),
  ];
  return cases(kinds, n);
}

// ---- hostile WebSocket input from a token holder -----------------------------

interface ClosingCase {
  kind: string;
  data: string | Buffer;
  binary?: boolean;
  closeCode: number;
}

function closingMessages(n: number): ClosingCase[] {
  const kinds: (() => ClosingCase)[] = [
    () => ({ kind: 'WS: not JSON', data: `${seg()} {${seg()}`, closeCode: 1003 }),
    () => ({
      kind: 'WS: no numeric id',
      data: dice.pick([`{"method":"ready"}`, `{"id":"1","method":"ready"}`, 'null', '42', `"${seg()}"`]),
      closeCode: 1003,
    }),
    () => ({
      kind: 'WS: deeply nested JSON',
      data: dice.pick([deepArray(20_000 + dice.int(12_000)), deepObject(5_000 + dice.int(5_000))]),
      closeCode: 1003,
    }),
    () => ({ kind: 'WS: binary frame', data: dice.bytes(1 + dice.int(200)), binary: true, closeCode: 1003 }),
    () => ({
      kind: 'WS: invalid UTF-8',
      data: Buffer.concat([
        Buffer.from('{"id":1,"method":"'),
        dice.pick([Buffer.from([0xff]), Buffer.from([0xc0, 0xae]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xe0, 0xa4])]),
        Buffer.from('"}'),
      ]),
      closeCode: 1007,
    }),
    () => ({ kind: 'WS: oversize message', data: 'x'.repeat(WS_LIMIT + 1 + dice.int(200_000)), closeCode: 1009 }),
  ];
  return cases(kinds, n);
}

/** Messages a token holder may send that deserve an error answer, not a closed connection. */
function answeredMessages(n: number): { kind: string; build: (id: number) => string }[] {
  const kinds: (() => { kind: string; build: (id: number) => string })[] = [
    () => ({ kind: 'WS: unknown method', build: (id) => JSON.stringify({ id, method: `${seg()}`, request: {} }) }),
    () => ({ kind: 'WS: deeply nested method', build: (id) => `{"id":${id},"method":${deepArray(20_000 + dice.int(10_000))}}` }),
    () => ({
      kind: 'WS: deeply nested request',
      build: (id) => `{"id":${id},"method":"getTask","request":${deepObject(3_000 + dice.int(6_000))}}`,
    }),
    () => ({ kind: 'WS: deeply nested field', build: (id) => `{"id":${id},"method":"getTask","request":{"taskId":${deepArray(10_000)}}}` }),
    () => ({
      kind: 'WS: invalid request',
      build: (id) =>
        JSON.stringify({
          id,
          method: dice.pick(['getTask', 'getContention', 'restoreTaskVersion', 'startDemo']),
          request: { [seg()]: dice.pick([null, -1, 'x'.repeat(300), [1, 2], { a: 1 }]) },
        }),
    }),
  ];
  return cases(kinds, n);
}

/** Raw frames no WebSocket library would send. */
function badFrames(n: number): { kind: string; frames: Buffer[]; closeCodes: (number | null)[] }[] {
  const text = Buffer.from('{"id":1,"method":"ready"}');
  const kinds: (() => { kind: string; frames: Buffer[]; closeCodes: (number | null)[] })[] = [
    () => ({ kind: 'frame: unmasked', frames: [wsFrame(1, text, { mask: false })], closeCodes: [1002] }),
    () => ({ kind: 'frame: reserved opcode', frames: [wsFrame(dice.pick([3, 4, 5, 6, 7, 11, 12, 13, 14, 15]), text)], closeCodes: [1002] }),
    () => ({ kind: 'frame: reserved bits', frames: [wsFrame(1, text, { rsv: 1 + dice.int(7) })], closeCodes: [1002] }),
    () => ({ kind: 'frame: long control frame', frames: [wsFrame(9, dice.bytes(126 + dice.int(300)))], closeCodes: [1002] }),
    () => ({ kind: 'frame: fragmented control frame', frames: [wsFrame(9, Buffer.from('hi'), { fin: false })], closeCodes: [1002] }),
    () => ({ kind: 'frame: continuation first', frames: [wsFrame(0, text)], closeCodes: [1002] }),
    () => ({
      kind: 'frame: huge declared length',
      frames: [wsFrame(1, Buffer.alloc(0), { declaredLength: 2 ** 53 + dice.int(1000) })],
      closeCodes: [1009],
    }),
    () => ({
      kind: 'frame: oversize in fragments',
      frames: [wsFrame(1, Buffer.alloc(40_000, 'a'), { fin: false }), wsFrame(0, Buffer.alloc(40_000, 'a'))],
      closeCodes: [1009],
    }),
    () => ({
      kind: 'frame: UTF-8 split badly',
      frames: [wsFrame(1, Buffer.from([0x22, 0xe2, 0x82]), { fin: false }), wsFrame(0, Buffer.from([0x28, 0x22]))],
      closeCodes: [1007],
    }),
    () => ({ kind: 'frame: bad close code', frames: [wsFrame(8, Buffer.from([0x03, 0xe7]))], closeCodes: [1002] }),
    // Random bytes may also read as a valid frame, or as the start of a longer one (then nothing happens).
    () => ({ kind: 'frame: random bytes', frames: [dice.bytes(2 + dice.int(300))], closeCodes: [1002, 1003, 1007, 1008, 1009, null] }),
  ];
  return cases(kinds, n);
}

// ---- half-open and slow connections ---------------------------------------------

function connectionAbuse(n: number): { kind: string; run: () => Promise<RawReply>; expect: (number | null)[] }[] {
  const partial = `GET /${seg()} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-`;
  const kinds: (() => { kind: string; run: () => Promise<RawReply>; expect: (number | null)[] })[] = [
    () => ({ kind: 'half-open: partial request then FIN', run: () => rawExchange(port, (s) => s.end(partial)), expect: [400, null] }),
    // Node answers a request whose client already half-closed only if the answer is ready at once.
    () => ({
      kind: 'half-open: request then FIN',
      run: () => rawExchange(port, (s) => s.end(httpRequest('GET', '/', headers()))),
      expect: [200, null],
    }),
    () => ({ kind: 'half-open: nothing then FIN', run: () => rawExchange(port, (s) => s.end()), expect: [null] }),
    () => ({
      kind: 'reset mid-request',
      run: () =>
        rawExchange(
          port,
          (s) => {
            s.write(partial);
            setTimeout(() => s.resetAndDestroy(), dice.int(50));
          },
          500,
        ),
      expect: [null],
    }),
    () => ({
      kind: 'half-open: WebSocket then FIN',
      run: async () => {
        const r = await rawWebSocket(port, token, [], { endAfter: true });
        return { status: r.accepted ? 101 : null, text: '', closedByServer: r.closedByServer, ms: 0 };
      },
      expect: [101],
    }),
    () => ({
      kind: 'reset mid-frame',
      run: async () => {
        const r = await rawWebSocket(port, token, [wsFrame(1, Buffer.alloc(1000, 'a')).subarray(0, 300)], { resetAfter: true });
        return { status: r.accepted ? 101 : null, text: '', closedByServer: r.closedByServer, ms: 0 };
      },
      expect: [101],
    }),
  ];
  return cases(kinds, n);
}

/** Slowloris: headers dribbled a few bytes at a time, never finished. */
function slowClient(): Promise<RawReply> {
  return rawExchange(
    port,
    (s) => {
      s.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
      const timer = setInterval(() => {
        if (s.writable) s.write(`X-${dice.text(1)}: ${dice.text(1)}\r\n`);
      }, 300);
      s.on('close', () => clearInterval(timer));
    },
    20_000,
  );
}

// ---- the test -------------------------------------------------------------------

describe('lockstep serve under hostile input', () => {
  it('survives at least 300 hostile requests, frames and connections, and a 10,000-deep state.json', async () => {
    // Slow clients run during everything else; they must be cut off, and must not starve anyone.
    // Idle connections (never a byte) first: they are closed too, but they are not requests, so not logged.
    const idle = Array.from({ length: 5 }, () => rawExchange(port, () => {}, 20_000));
    count('idle connection', idle.length);
    await sleep(100);
    const slow = Array.from({ length: 10 }, () => slowClient());
    count('slowloris', slow.length);

    const requests = httpCases(170);
    const replies = await inPool(
      requests.map((c) => () => rawRequest(port, c.request, c.timeoutMs ?? 3000)),
      12,
    );
    requests.forEach((c, i) => {
      count(c.kind);
      const reply = replies[i]!;
      expect(c.expect, context(`${c.kind}: ${String(c.request).slice(0, 120)} → ${reply.text.slice(0, 120)}`)).toContain(reply.status);
      expect(reply.text).not.toContain('root:x:0:0'); // never a file outside the dashboard
    });
    await expectAlive('hostile HTTP requests');

    // A token holder's messages that break the protocol close that connection only.
    const closing = closingMessages(45);
    await inPool(
      closing.map((c) => async () => {
        const api = await openApi(port, token);
        await api.snapshot;
        api.sendRaw(c.data, c.binary);
        expect(await api.closed, context(c.kind)).toBe(c.closeCode);
        count(c.kind);
      }),
      6,
    );
    await expectAlive('closing WebSocket messages');

    // Messages that deserve an error answer: the connection stays.
    const api = await openApi(port, token);
    await api.snapshot;
    for (const c of answeredMessages(45)) {
      const answer = await api.askText(c.build);
      expect(answer.result.ok, context(c.kind)).toBe(false);
      expect(answer.result.error?.code, context(c.kind)).toBe('INVALID_INPUT');
      count(c.kind);
    }
    expect((await api.ask('getTask', { taskId: 't1' })).result.ok).toBe(true);
    await expectAlive('answered WebSocket messages');

    const frames = badFrames(45);
    await inPool(
      frames.map((c) => async () => {
        const r = await rawWebSocket(port, token, c.frames);
        expect(r.accepted, context(c.kind)).toBe(true);
        expect(c.closeCodes, context(`${c.kind}: close code ${r.closeCode}`)).toContain(r.closeCode);
        count(c.kind);
      }),
      6,
    );
    await expectAlive('malformed frames');

    const abuse = connectionAbuse(40);
    await inPool(
      abuse.map((c) => async () => {
        const reply = await c.run();
        expect(c.expect, context(`${c.kind} → ${reply.text.slice(0, 80)}`)).toContain(reply.status);
        count(c.kind);
      }),
      8,
    );
    await expectAlive('half-open connections');

    // Clients that read their refusal and never close their side must not pin the server's sockets.
    const socketsBefore = socketsHeldBy(serve.pid);
    const refusals = [
      httpRequest(`X${dice.text(5, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')}`, '/', headers()),
      httpRequest('GET', dice.pick(UNPARSABLE), upgradeHeaders(port)),
      httpRequest('GET', `/api?token=${seg()}`, upgradeHeaders(port)),
      `CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n`,
      httpRequest('GET', `/${dice.pick(MALFORMED_ESCAPES)}/x`, { Host: `127.0.0.1:${port}` }),
    ];
    const holders = await Promise.all(Array.from({ length: 25 }, (_, i) => holdOpen(port, refusals[i % refusals.length]!)));
    count('held open after a refusal', holders.length);
    // The server lets a refused client read its answer for a second, then destroys the socket: wait for
    // that (a fixed 2.5 s sleep left a busy 2-core machine little room), bounded well short of forever.
    if (socketsBefore !== null)
      await expect
        .poll(() => socketsHeldBy(serve.pid), {
          timeout: 15_000,
          interval: 100,
          message: context('sockets still held for refused clients'),
        })
        .toBeLessThan(socketsBefore + 5);
    for (const h of holders) h.destroy();

    // A state.json nested 10,000 levels deep, written by hand (in place, as an
    // editor would), then opened the way the UI opens a task.
    const file = join(root, 'tasks', 'task-deep', 'state.json');
    const state = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...state, status: 'edited by hand' }).replace(/}$/, `,"nested":${deepArray(10_000)}}`));
    let opened: Answer | undefined;
    for (let i = 0; i < 5; i++) {
      opened = await api.ask('getTask', { taskId: 'deep' });
      count('deep state.json opened');
    }
    expect(opened!.result.ok).toBe(false);
    expect(opened!.result.error).toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/nested too deeply/) });
    expect((await api.ask('getTask', { taskId: 't1' })).result.ok, 'the connection still answers').toBe(true);
    api.ws.close();

    // The slow clients were cut off with 408, and the page stayed fast meanwhile.
    const before = Date.now();
    await expectAlive('slow clients started');
    expect(Date.now() - before).toBeLessThan(2000);
    for (const reply of await Promise.all(slow)) {
      expect(reply.status, context('slowloris')).toBe(408);
      expect(reply.closedByServer).toBe(true);
      expect(reply.ms).toBeLessThan(16_000);
    }
    for (const reply of await Promise.all(idle)) {
      expect(reply.closedByServer, context('idle connection')).toBe(true);
      expect(reply.ms).toBeLessThan(16_000);
    }
    await expectAlive('slow clients');

    const total = [...sent.values()].reduce((a, b) => a + b, 0);
    console.log(`serve fuzz: ${total} hostile inputs of ${sent.size} kinds, seed ${SEED}`);
    expect(total).toBeGreaterThanOrEqual(300);
  });

  it('the same process still serves the page and answers the API', async () => {
    expect(serve.child.exitCode).toBeNull();
    const page = await rawRequest(port, httpRequest('GET', `/?token=${token}`, headers()));
    expect(page.status).toBe(200);
    // The page's own script loads too.
    const script = /src="\.?(\/assets\/[^"]+\.js)"/.exec(page.text)?.[1];
    expect(script, 'index.html names its script').toBeDefined();
    expect((await rawRequest(port, httpRequest('GET', script!, headers()))).status).toBe(200);

    const api = await openApi(port, token);
    const snapshot = await api.snapshot;
    expect(snapshot.tasks.map((t) => t.task_id).sort()).toEqual(['deep', 't1']);
    const t1 = await api.ask('getTask', { taskId: 't1' });
    expect(t1.result).toMatchObject({ ok: true, value: { task_id: 't1', state: { status: 'in_progress' } } });
    // A change made now reaches the client as a patch: the live path works.
    const store = openStateStore({ root });
    await store.updateTaskState('t1', { status: 'review' });
    store.close();
    // The host sees it through its watch: waited for, not given a fixed 5 s (a loaded machine can be slower).
    await expect.poll(() => JSON.stringify(api.events), { timeout: 20_000, interval: 50 }).toContain('"review"');
    api.ws.close();
  });

  it('logged each kind of refusal on stderr, a bounded number of times, never the token', () => {
    const lines = serve.stderr.split('\n').filter((l) => / (refused|failed) \d{3,4} /.test(l));
    const kinds = [
      'refused 400 malformed percent-encoding:',
      'refused 400 unparsable URL:',
      'refused 400 control character in the path:',
      'refused 501 unknown method:',
      'refused 405 method not allowed:',
      'refused 421 unknown Host header:',
      'refused 431 request headers too large:',
      'refused 400 malformed request (',
      'refused 417 unsupported Expect header:',
      'refused 404 WebSocket upgrade outside /api:',
      'refused 403 foreign Origin:',
      'refused 401 wrong or missing token:',
      'refused 400 bad WebSocket handshake',
      'refused 405 bad WebSocket handshake',
      'refused 1003 WebSocket message that is not JSON:',
      'refused 1003 WebSocket message without a numeric id:',
      'refused 1003 binary WebSocket message:',
      'refused 1007 WebSocket text that is not valid UTF-8:',
      'refused 1009 WebSocket message over the size limit:',
      'refused 1002 WebSocket protocol error',
      'refused 408 request not received in time:',
      'refused 400 connection closed mid-request:',
      'failed 500 answer that cannot be serialized',
    ];
    for (const kind of kinds) {
      const n = lines.filter((l) => l.includes(kind)).length;
      expect(n, `${kind} lines (seed ${SEED})`).toBeGreaterThanOrEqual(1);
    }
    // Bounded: at most 5 lines per kind per minute, whatever was sent, and then one line counting the rest.
    // A window starts with the first refusal after the last one ended, so a run that took longer than a
    // minute (the machine is slow) spans more than one: as many as a minute fits into its lines' times.
    const times = lines.map((l) => Date.parse(/^lockstep serve: (\S+) /.exec(l)![1]!));
    const windows = 1 + Math.floor((Math.max(...times) - Math.min(...times)) / 60_000);
    const perKind = new Map<string, { shown: number; summaries: number }>();
    for (const line of lines) {
      const kind = / ((?:refused|failed) \d+ .+?): /.exec(line)![1]!;
      const n = perKind.get(kind) ?? { shown: 0, summaries: 0 };
      if (/: \d+ more in the last 60 s, not shown$/.test(line)) n.summaries++;
      else n.shown++;
      perKind.set(kind, n);
    }
    for (const [kind, n] of perKind) {
      expect(n.shown, `${kind} (${windows} window(s))`).toBeLessThanOrEqual(5 * windows);
      expect(n.summaries, kind).toBeLessThanOrEqual(windows);
    }
    expect(lines.length).toBeLessThan([...sent.values()].reduce((a, b) => a + b, 0));
    // One printable line each, a timestamp first, and never the token.
    for (const line of lines) {
      expect(line).toMatch(/^lockstep serve: \d{4}-\d\d-\d\dT[\d:.]+Z (refused|failed) \d+ /);
      expect(line).toMatch(/^[\x20-\x7e…]+$/);
      expect(line.length).toBeLessThan(400);
    }
    expect(serve.stderr).not.toContain(token);
    // Time-outs say how far the client got; idle connections (0 bytes) are not requests and not logged.
    const timeouts = lines.filter((l) => l.includes('refused 408'));
    expect(timeouts.length).toBeGreaterThanOrEqual(1);
    for (const line of timeouts) expect(line).toMatch(/\(([1-9]\d*) bytes received\)$/);
  });
});
