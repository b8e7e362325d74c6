// The Lockstep MCP server for one client: tools, resources with
// subscriptions, and the locks that client holds. Built on the SDK's
// low-level Server rather than McpServer, so that every refusal — bad
// arguments and unknown tools included — reaches the agent as a tool error
// carrying Lockstep's error code, not as a bare message.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  ErrorCode,
  McpError,
  type CallToolResult,
  type ServerNotification,
  type ServerRequest,
  type ServerResult,
  type Tool as ToolDefinition,
} from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { z } from 'zod';
import type { StateStore } from '../engine/public.ts';
import { LockHandles } from './lock-handles.ts';
import { listResources, readResource, Subscriptions, TASK_TEMPLATE } from './resources.ts';
import { toolError, toolResult, serializeError } from './tool-result.ts';
import { lockTable, TOOLS, type Tool } from './tools.ts';
import { AGENT_PROTOCOL } from './instructions.ts';
import { clientOwner } from './owner.ts';

/** A request schema of the SDK: an object whose `method` is a literal. */
type RequestSchema = z.ZodObject<{ method: z.ZodLiteral<string> }>;

export interface McpServerOptions {
  /** The owner label for locks and audit entries; default: the client's name from the handshake. */
  owner?: string;
  version: string;
  /** Where diagnostics go (stderr: stdout is the protocol). */
  log: (line: string) => void;
}

export class LockstepMcpServer {
  readonly server: Server;
  private readonly locks: LockHandles;
  private readonly subscriptions: Subscriptions;
  private readonly tools = new Map<string, Tool>(TOOLS.map((t) => [t.name, t]));
  private readonly definitions: ToolDefinition[] = TOOLS.map(definitionOf);

  private readonly store: StateStore;
  private readonly options: McpServerOptions;

  constructor(store: StateStore, options: McpServerOptions) {
    this.store = store;
    this.options = options;
    this.server = new Server(
      { name: 'lockstep', title: 'Lockstep', version: options.version },
      { capabilities: { tools: {}, resources: { subscribe: true } }, instructions: AGENT_PROTOCOL },
    );
    this.locks = new LockHandles(store);
    this.subscriptions = new Subscriptions(store, (uri) => this.server.sendResourceUpdated({ uri }), options.log);
    this.server.onerror = (err) => options.log(`protocol: ${err.message}`);

    this.handle(ListToolsRequestSchema, async () => ({ tools: this.definitions }));
    this.handle(CallToolRequestSchema, (request, extra) => {
      const stopProgress = keepAlive(request.params._meta?.progressToken, extra);
      return this.callTool(request.params.name, request.params.arguments, extra.signal).finally(stopProgress);
    });
    this.handle(ListResourcesRequestSchema, (request) => listResources(store, request.params?.cursor));
    this.handle(ListResourceTemplatesRequestSchema, async () => ({ resourceTemplates: [TASK_TEMPLATE] }));
    this.handle(ReadResourceRequestSchema, (request) => readResource(store, request.params.uri, () => lockTable(store, this.locks)));
    this.handle(SubscribeRequestSchema, async (request) => {
      await this.subscriptions.subscribe(request.params.uri);
      return {};
    });
    this.handle(UnsubscribeRequestSchema, async (request) => {
      await this.subscriptions.unsubscribe(request.params.uri);
      return {};
    });
  }

  /**
   * Register a request handler whose malformed params are answered with
   * -32602 Invalid params naming the field (the SDK would answer -32603
   * Internal error, as if the server had failed).
   */
  private handle<S extends RequestSchema>(
    schema: S,
    handler: (request: z.output<S>, extra: RequestHandlerExtra<ServerRequest, ServerNotification>) => Promise<ServerResult>,
  ): void {
    const method = schema.shape.method.value;
    const envelope = z.looseObject({ method: z.literal(method), params: z.unknown().optional() });
    this.server.setRequestHandler(envelope, (request, extra) => {
      const parsed = schema.safeParse(request);
      if (!parsed.success) throw new McpError(ErrorCode.InvalidParams, `invalid ${method} params: ${describeIssues(parsed.error)}`);
      return handler(parsed.data as z.output<S>, extra);
    });
  }

  connect(transport: Transport): Promise<void> {
    return this.server.connect(transport);
  }

  /** The client went away: release its locks, stop watching. Returns how many locks were released. */
  async shutdown(): Promise<number> {
    const released = await this.locks.releaseAll();
    await this.subscriptions.close().catch((err: unknown) => this.options.log(`closing the change feed: ${(err as Error).message}`));
    return released;
  }

  /** The label this client's locks and writes carry. */
  get owner(): string {
    return this.options.owner ?? clientOwner(this.server.getClientVersion()?.name);
  }

  private async callTool(name: string, args: unknown, signal: AbortSignal): Promise<CallToolResult> {
    const tool = this.tools.get(name);
    if (!tool) {
      return toolError({
        code: 'INVALID_INPUT',
        message: `unknown tool ${JSON.stringify(name.slice(0, 200))}; the tools are ${[...this.tools.keys()].join(', ')}`,
      });
    }
    const parsed = tool.input.safeParse(args ?? {});
    if (!parsed.success) {
      return toolError({ code: 'INVALID_INPUT', message: `${name}: ${describeIssues(parsed.error)}` });
    }
    try {
      const value = await tool.run(parsed.data as never, { store: this.store, locks: this.locks, owner: this.owner, signal });
      return toolResult(value);
    } catch (err) {
      return toolError(serializeError(err, this.options.log));
    }
  }
}

/** How often a long call (a lock wait) tells the client it is still working. */
export const PROGRESS_INTERVAL_MS = 2_000;

/**
 * While a call runs, send a progress notification every few seconds when
 * the client asked for them (a progressToken). Clients that reset their
 * request time-out on progress can then wait for a lock longer than that
 * time-out. Returns the function that stops them.
 */
function keepAlive(token: string | number | undefined, extra: RequestHandlerExtra<ServerRequest, ServerNotification>): () => void {
  if (token === undefined) return () => {};
  const started = Date.now();
  const timer = setInterval(() => {
    const waited = Date.now() - started;
    extra
      .sendNotification({
        method: 'notifications/progress',
        params: { progressToken: token, progress: waited, message: `still working after ${Math.round(waited / 1000)} s` },
      })
      .catch(() => {}); // the client went away: the call ends with the connection
  }, PROGRESS_INTERVAL_MS);
  return () => clearInterval(timer);
}

function definitionOf(tool: Tool): ToolDefinition {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: jsonSchemaOf(tool.input),
    annotations: { title: tool.title, ...tool.annotations },
  };
}

/**
 * A tool's input as JSON Schema (draft-07, as the SDK's McpServer lists
 * them). The only custom zod type in the tools is the JSON object, listed
 * as {"type": "object"}.
 */
function jsonSchemaOf(input: z.ZodObject): ToolDefinition['inputSchema'] {
  return z.toJSONSchema(input, {
    target: 'draft-7',
    io: 'input',
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      if (zodSchema._zod.def.type === 'custom') jsonSchema.type = 'object';
    },
  }) as ToolDefinition['inputSchema'];
}

/** Zod's issues as one line an agent can act on: `task_id: invalid task id; changes: expected a JSON object`. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.map(String).join('.') || 'arguments'}: ${issue.message}`)
    .join('; ');
}
