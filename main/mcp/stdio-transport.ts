// The MCP transport on stdin/stdout: one JSON-RPC message per line.
//
// The SDK's StdioServerTransport stays silent on a line it cannot parse and
// closes the whole connection when a line outgrows its buffer, which would
// drop every lock the client holds. This one answers what JSON-RPC asks for
// instead (-32700 for a line that is not JSON, -32600 for JSON that is not a
// JSON-RPC message, both on id null unless the id can be read), skips an
// oversized line to its end, and reports the end of stdin as the
// disconnect, so a client that goes away releases its locks.
import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, JSONRPCMessageSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

type RequestId = string | number | null;

export class LineTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Set while the rest of an oversized line is being thrown away. */
  private skipping = false;
  private closed = false;
  /** Resolves when stdout can take more; shared by every message sent meanwhile. */
  private drained: Promise<void> | null = null;

  private readonly input: Readable;
  private readonly output: Writable;
  /** The longest line accepted, in bytes (newline excluded). */
  readonly maxLineBytes: number;

  constructor(input: Readable, output: Writable, maxLineBytes: number) {
    this.input = input;
    this.output = output;
    this.maxLineBytes = maxLineBytes;
  }

  async start(): Promise<void> {
    this.input.on('data', this.onData);
    this.input.on('end', this.onEnd);
    this.input.on('close', this.onEnd);
    this.input.on('error', this.onStreamError);
    // A client that died leaves a closed pipe: writing to it must end the connection, not the process.
    this.output.on('error', this.onStreamError);
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.closed || this.output.destroyed) return Promise.resolve();
    if (this.output.write(`${JSON.stringify(message)}\n`)) return Promise.resolve();
    // The client reads slower than we answer: every sender waits for the same 'drain' (or the end of the pipe).
    this.drained ??= new Promise((resolve) => {
      const done = () => {
        this.output.off('drain', done);
        this.output.off('close', done);
        this.drained = null;
        resolve();
      };
      this.output.on('drain', done);
      this.output.on('close', done);
    });
    return this.drained;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.input.off('data', this.onData);
    this.input.pause();
    this.chunks = [];
    this.onclose?.();
  }

  private readonly onData = (chunk: Buffer | string): void => {
    let data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let newline: number;
    while ((newline = data.indexOf(0x0a)) !== -1) {
      this.take(data.subarray(0, newline));
      this.finishLine();
      data = data.subarray(newline + 1);
    }
    this.take(data);
  };

  /** Keep a piece of the current line, or start skipping it once it is too long. */
  private take(piece: Buffer): void {
    if (this.skipping || piece.length === 0) return;
    if (this.buffered + piece.length > this.maxLineBytes) {
      this.skipping = true;
      this.chunks = [];
      this.buffered = 0;
      return;
    }
    this.chunks.push(piece);
    this.buffered += piece.length;
  }

  private finishLine(): void {
    if (this.skipping) {
      this.skipping = false;
      this.reply(null, ErrorCode.InvalidRequest, `message over ${this.maxLineBytes} bytes refused`);
      return;
    }
    const line = Buffer.concat(this.chunks).toString('utf8').replace(/\r$/, '');
    this.chunks = [];
    this.buffered = 0;
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.reply(null, ErrorCode.ParseError, 'Parse error: the line is not JSON');
      return;
    }
    const parsed = JSONRPCMessageSchema.safeParse(value);
    if (!parsed.success) {
      this.reply(idOf(value), ErrorCode.InvalidRequest, 'Invalid Request: not a JSON-RPC 2.0 message');
      return;
    }
    try {
      this.onmessage?.(parsed.data);
    } catch (err) {
      this.onerror?.(err as Error);
    }
  }

  private reply(id: RequestId, code: number, message: string): void {
    // JSON-RPC wants id null when the id could not be read; the SDK's type insists on a real one.
    void this.send({ jsonrpc: '2.0', id, error: { code, message } } as unknown as JSONRPCMessage);
  }

  private readonly onEnd = (): void => {
    void this.close();
  };

  private readonly onStreamError = (err: Error): void => {
    this.onerror?.(err);
    void this.close();
  };
}

/** The id of a request that is not valid JSON-RPC, when it has a usable one. */
function idOf(value: unknown): RequestId {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const id = (value as { id?: unknown }).id;
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : null;
}
