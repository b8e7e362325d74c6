// A TCP proxy in front of one etcd member that can lose an answer: once
// armed, it lets the client's next request through to etcd, waits until
// etcd has applied it, then cuts the connection before any byte of the
// answer reaches the client. That is an ambiguous commit made on purpose:
// the write happened, the writer was told "unavailable".
import { createServer, connect, type Server, type Socket } from 'node:net';

/** A chunk big enough to be a request: HTTP/2 pings and window updates are tiny. */
const isRequest = (chunk: Buffer) => chunk.length > 60;

export class CutProxy {
  private server: Server | null = null;
  /** What the next cut waits for (null: disarmed). */
  private armed: ((chunk: Buffer) => boolean) | null = null;
  private readonly pairs = new Set<[Socket, Socket]>();
  /** How many answers were cut. */
  cuts = 0;

  private readonly target: { host: string; port: number };
  private readonly applyDelayMs: number;

  constructor(target: { host: string; port: number }, applyDelayMs = 150) {
    this.target = target;
    this.applyDelayMs = applyDelayMs;
  }

  async start(): Promise<string> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      let cutting = false;
      const close = () => {
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('data', (chunk) => {
        upstream.write(chunk);
        if (this.armed?.(chunk)) {
          this.armed = null;
          cutting = true;
          setTimeout(() => {
            this.cuts++;
            close();
          }, this.applyDelayMs);
        }
      });
      upstream.on('data', (chunk) => {
        if (!cutting) client.write(chunk); // while cutting, the answer is dropped
      });
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as { port: number };
    return `http://127.0.0.1:${port}`;
  }

  /**
   * Lose the answer to the next request, or to the next one `match` picks
   * (gRPC over plain HTTP/2 carries keys and values as readable bytes).
   */
  arm(match: (chunk: Buffer) => boolean = isRequest): void {
    this.armed = match;
  }

  disarm(): void {
    this.armed = null;
  }

  async stop(): Promise<void> {
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
