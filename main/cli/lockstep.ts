// The `lockstep` command. Agents and hooks script against it: the output
// shapes and exit codes are a stable contract (see README).
import { readFileSync } from 'node:fs';
import { assertTaskId, InvalidInputError, NotFoundError, type StateStore } from '../engine/public.ts';
import { sessionChangeId, type RestoreResult } from '../../shared/model.ts';
import { parseArgs, Flags, parseJsonObject, readStdin } from './args.ts';
import { HELP } from './help.ts';
import { Output, table } from './output.ts';
import { followLog, printLog } from './log-command.ts';
import { holdLock, listLocks } from './lock-command.ts';
import { openTarget, storeTarget } from './store-target.ts';

export async function main(argv: string[]): Promise<number> {
  let out = new Output(argv.includes('--json'));
  try {
    const { positionals, flags: rawFlags } = parseArgs(argv);
    const flags = new Flags(rawFlags);
    out = new Output(flags.bool('json'));
    const [command, sub, ...rest] = positionals;
    if (flags.bool('help') || command === 'help' || command === undefined) {
      process.stdout.write(`${HELP}\n`);
      return command === undefined && !flags.bool('help') ? 2 : 0;
    }
    if (command === 'version' || flags.bool('version')) {
      out.result({ version: packageVersion() }, () => packageVersion());
      return 0;
    }
    if (command === 'migrate') {
      const { migrateCommand } = await import('./migrate-command.ts');
      return await migrateCommand(
        flags,
        out,
        [sub, ...rest].filter((a) => a !== undefined),
      );
    }
    // --root DIR, or --etcd URLS (LOCKSTEP_ETCD) with --namespace, TLS and user options.
    const target = storeTarget(flags);
    if (command === 'serve') {
      const { serveCommand } = await import('./serve-command.ts');
      return await serveCommand(target, flags);
    }
    if (command === 'simulate') {
      const { simulateCommand } = await import('./simulate.ts');
      return await simulateCommand(target, flags, out);
    }
    if (command === '__agent') {
      const { runAgent } = await import('./simulate.ts');
      return await runAgent(target, flags);
    }
    const store = openTarget(target);
    // A change that happened but could not be logged (a symlinked or full audit log) is said, once per message.
    const warned = new Set<string>();
    store.on('state.log_error', ({ message }) => {
      if (warned.has(message)) return;
      warned.add(message);
      process.stderr.write(`lockstep: warning: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    });
    try {
      return await dispatch(store, out, flags, command, sub, rest);
    } finally {
      await store.close();
    }
  } catch (err) {
    return out.error(err);
  }
}

function usage(message: string): never {
  throw new InvalidInputError(`${message} (see lockstep --help)`);
}

function need(value: string | undefined, what: string): string {
  if (value === undefined || value === '') usage(`missing ${what}`);
  return value;
}

function noExtra(rest: string[]): void {
  if (rest.length > 0) usage(`unexpected argument ${JSON.stringify(rest[0])}`);
}

/** The required arguments `names`, in order, and nothing after them: `const [id] = positional(rest, 'task id')`. */
function positional<const N extends readonly string[]>(rest: string[], ...names: N): { [K in keyof N]: string } {
  const values = names.map((what, i) => need(rest[i], what));
  noExtra(rest.slice(names.length));
  return values as { [K in keyof N]: string };
}

/** What a subcommand works with. */
interface CommandContext {
  store: StateStore;
  out: Output;
  flags: Flags;
}

/** A command's subcommands by name (`task get`, `task update`…); each is given the arguments after its name and prints its result. */
type Subcommands = Record<string, (context: CommandContext, rest: string[]) => Promise<void>>;

/** `lockstep <command> <sub> …`: run that subcommand, or refuse a name the command does not have. */
async function runSubcommand(
  command: string,
  subcommands: Subcommands,
  context: CommandContext,
  sub: string | undefined,
  rest: string[],
): Promise<number> {
  // Own names only: `lockstep task constructor` is an unknown command, not Object's.
  const run = sub !== undefined && Object.hasOwn(subcommands, sub) ? subcommands[sub] : undefined;
  if (!run) return usage(`unknown ${command} command ${JSON.stringify(sub ?? '')}`);
  await run(context, rest);
  return 0;
}

async function dispatch(
  store: StateStore,
  out: Output,
  flags: Flags,
  command: string,
  sub: string | undefined,
  rest: string[],
): Promise<number> {
  switch (command) {
    case 'init': {
      if (sub !== undefined) noExtra([sub]);
      flags.assertAllUsed();
      const result = await store.init();
      out.result(
        result,
        () =>
          `initialized ${result.root}${result.migrated ? `\nmigrated ${result.migrated.sessions} sessions and ${result.migrated.tasks} tasks from ${result.migrated.from}` : ''}`,
      );
      return 0;
    }
    case 'task':
      return runSubcommand('task', TASK_COMMANDS, { store, out, flags }, sub, rest);
    case 'lock': {
      if (sub !== 'acquire') usage(`unknown lock command ${JSON.stringify(sub ?? '')}; expected "lock acquire"`);
      const [id] = positional(rest, 'task id');
      const mode = flags.string('mode') ?? 'write';
      if (mode !== 'read' && mode !== 'write') usage('--mode must be read or write');
      const hold = flags.int('hold');
      const timeout = flags.int('timeout');
      const owner = flags.string('owner');
      flags.assertAllUsed();
      return holdLock(store, out, id, mode, { hold, timeout, owner });
    }
    case 'locks': {
      if (sub !== undefined) noExtra([sub]);
      const withDeadlocks = flags.bool('deadlocks');
      flags.assertAllUsed();
      return listLocks(store, out, withDeadlocks);
    }
    case 'contention': {
      const windowMs = flags.int('window', { min: 1 });
      flags.assertAllUsed();
      const stats = await store.getContention({ windowMs });
      out.result(stats, () =>
        table(stats as unknown as Record<string, unknown>[], [
          'task_id',
          'acquisitions',
          'waited',
          'timeouts',
          'wait_p50_ms',
          'wait_p95_ms',
        ]),
      );
      return 0;
    }
    case 'gc': {
      flags.assertAllUsed();
      const result = await store.collectGarbage();
      out.result(result, () => `removed ${result.removed} stale lock file(s) and ${result.temp_files} left-over temp file(s)`);
      return 0;
    }
    case 'session':
      return runSubcommand('session', SESSION_COMMANDS, { store, out, flags }, sub, rest);
    case 'checkpoint':
      return runSubcommand('checkpoint', CHECKPOINT_COMMANDS, { store, out, flags }, sub, rest);
    case 'verify': {
      flags.assertAllUsed();
      const issues = await store.verifyAllStates();
      out.result({ issues }, () =>
        issues.length
          ? table(issues as unknown as Record<string, unknown>[], ['kind', 'task_id', 'message', 'recoverable'])
          : 'no integrity issues',
      );
      return 0;
    }
    case 'log': {
      const task = flags.string('task');
      const since = flags.string('since');
      const limit = flags.int('limit', { min: 1 });
      const follow = flags.bool('follow');
      flags.assertAllUsed();
      if (follow) return followLog(store, out, { task, since, limit });
      await printLog(store, out, { task, since, limit });
      return 0;
    }
    case 'mcp': {
      if (sub !== undefined) noExtra([sub]);
      const { mcpCommand } = await import('../mcp/command.ts');
      return mcpCommand(store, flags, packageVersion());
    }
    default:
      return usage(`unknown command ${JSON.stringify(command)}`);
  }
}

/** `lockstep task …` */
const TASK_COMMANDS: Subcommands = {
  async get({ store, out, flags }, rest) {
    const [id] = positional(rest, 'task id');
    flags.assertAllUsed();
    const state = await store.getTaskState(id);
    if (!state) throw new NotFoundError(`task ${id} does not exist`);
    out.result(state);
  },
  async update({ store, out, flags }, rest) {
    const [id, payloadArg] = positional(rest, 'task id', 'JSON object (or - for stdin)');
    const expectedVersion = flags.int('expect-version');
    const session = flags.string('session');
    const owner = flags.string('owner');
    const timeout = flags.int('timeout');
    flags.assertAllUsed();
    assertTaskId(id); // before reading stdin
    const text = payloadArg === '-' ? await readStdin(store.config.max_state_bytes) : payloadArg;
    const updates = parseJsonObject(text, 'update payload');
    out.result(await store.updateTaskState(id, updates, { expectedVersion, session, owner, timeout }));
  },
  async history({ store, out, flags }, rest) {
    const [id] = positional(rest, 'task id');
    flags.assertAllUsed();
    const history = await store.getTaskHistory(id);
    if (history.length === 0 && !(await store.getTaskState(id))) throw new NotFoundError(`task ${id} does not exist`);
    out.result(history, () =>
      table(
        history.map((h) => ({ ...h, owner: (h.updated_by as { owner?: string } | undefined)?.owner })),
        ['version', 'updated_at', 'owner', 'status'],
      ),
    );
  },
  async list({ store, out, flags }, rest) {
    noExtra(rest);
    flags.assertAllUsed();
    const tasks = await store.listTasks();
    out.result(tasks, () => table(tasks, ['task_id', 'version', 'status', 'updated_at', 'session_id']));
  },
  async recover({ store, out, flags }, rest) {
    const [id] = positional(rest, 'task id');
    const timeout = flags.int('timeout');
    flags.assertAllUsed();
    const result = await store.recoverTaskState(id, { timeout });
    out.result(result, () =>
      result.recovered
        ? `recovered task ${id} at version ${result.state.version}`
        : `task ${id} is healthy at version ${result.state.version}`,
    );
  },
  async restore({ store, out, flags }, rest) {
    const [id, versionArg] = positional(rest, 'task id', 'version');
    const version = Number(versionArg);
    if (!Number.isInteger(version) || version < 1) usage('version must be a positive integer');
    const owner = flags.string('owner');
    const timeout = flags.int('timeout');
    flags.assertAllUsed();
    out.result(await store.restoreTaskVersion(id, version, { owner, timeout }));
  },
};

/** `lockstep session …` */
const SESSION_COMMANDS: Subcommands = {
  async create({ store, out, flags }, rest) {
    noExtra(rest);
    const raw = flags.string('options');
    flags.assertAllUsed();
    const options = raw === undefined ? {} : parseJsonObject(raw, '--options');
    out.result(await store.createSession(options as never));
  },
  async update({ store, out, flags }, rest) {
    const [id, json] = positional(rest, 'session id', 'JSON object');
    const updates = parseJsonObject(json, 'session update');
    flags.assertAllUsed();
    out.result(await store.updateSession(id, updates));
  },
  async get({ store, out, flags }, rest) {
    const [id] = positional(rest, 'session id');
    flags.assertAllUsed();
    out.result(await store.getSession(id));
  },
  async list({ store, out, flags }, rest) {
    noExtra(rest);
    const active = flags.bool('active');
    flags.assertAllUsed();
    const sessions = active ? await store.getActiveSessions() : await store.listSessions();
    out.result(sessions, () =>
      table(
        sessions.map((s) => ({ ...s, tasks: s.task_ids.length, done: `${s.metrics.completed}/${s.metrics.total_tasks}` })),
        ['id', 'status', 'started_at', 'updated_at', 'tasks', 'done', 'alive'],
      ),
    );
  },
};

/** `lockstep checkpoint …` */
const CHECKPOINT_COMMANDS: Subcommands = {
  async create({ store, out, flags }, rest) {
    const [sid] = positional(rest, 'session id');
    const reason = flags.string('reason') ?? 'manual';
    flags.assertAllUsed();
    const cp = await store.createCheckpoint(sid, reason);
    out.result(cp, () => `created checkpoint ${cp.id} of session ${cp.session_id} (${cp.task_count} tasks)`);
  },
  async list({ store, out, flags }, rest) {
    noExtra(rest);
    flags.assertAllUsed();
    const list = await store.listCheckpoints();
    out.result(list, () => table(list as unknown as Record<string, unknown>[], ['id', 'session_id', 'created_at', 'reason', 'task_count']));
  },
  async show({ store, out, flags }, rest) {
    const [cid] = positional(rest, 'checkpoint id');
    flags.assertAllUsed();
    out.result(await store.getCheckpoint(cid));
  },
  async restore({ store, out, flags }, rest) {
    const [cid] = positional(rest, 'checkpoint id');
    const dryRun = flags.bool('dry-run');
    flags.assertAllUsed();
    if (dryRun) {
      out.result(await store.previewRestore(cid));
      return;
    }
    const result = await store.restoreCheckpoint(cid);
    const { checkpoint_id, restored, changed, undo_checkpoint_id } = result;
    out.result({ checkpoint_id, restored, changed, undo_checkpoint_id }, () => describeRestore(result));
  },
};

/** The human form of a restore: what changed, and the command that undoes it. */
function describeRestore(result: RestoreResult): string {
  const sessionRewritten = result.changed.includes(sessionChangeId(result.session_id));
  const tasksWritten = result.changed.length - (sessionRewritten ? 1 : 0);
  const summary =
    `restored checkpoint ${result.checkpoint_id}: ${result.restored.length} task(s), ${tasksWritten} written as new versions` +
    (sessionRewritten ? `, session ${result.session_id} rewritten` : '');
  return result.undo_checkpoint_id === null
    ? `${summary}; nothing needed to change`
    : `${summary}\nundo checkpoint: ${result.undo_checkpoint_id} (to undo: lockstep checkpoint restore ${result.undo_checkpoint_id})`;
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
