import { existsSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { isCheckpointId, isSessionId, isTaskId } from '../../shared/ids.ts';
import { InvalidInputError } from './errors.ts';
import {
  CONFIG_FILE,
  HISTORY_DIR,
  LEGACY_STATE_FILE,
  SESSION_MARKS_DIR,
  STATE_DIR_NAME,
  STATE_FILE,
  TASK_DIR_PREFIX,
  checkpointFileName,
  historyFileName,
} from './layout.ts';

export { LEGACY_STATE_FILE, STATE_DIR_NAME, taskIdFromDirName } from './layout.ts';

/**
 * The default root: LOCKSTEP_ROOT, else the nearest ancestor of cwd holding
 * .worktrees/.state (so agents in nested worktrees share one state), else
 * ./.worktrees/.state.
 */
export function defaultRoot(cwd = process.cwd(), env = process.env): string {
  if (env.LOCKSTEP_ROOT) return resolve(cwd, env.LOCKSTEP_ROOT);
  let dir = resolve(cwd);
  for (;;) {
    const candidate = join(dir, STATE_DIR_NAME);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return resolve(cwd, STATE_DIR_NAME);
}

export function assertTaskId(id: unknown): string {
  if (!isTaskId(id)) {
    throw new InvalidInputError(`invalid task id ${JSON.stringify(id)}: must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`, { id: String(id) });
  }
  return id;
}
export function assertSessionId(id: unknown): string {
  if (!isSessionId(id)) throw new InvalidInputError(`invalid session id ${JSON.stringify(id)}`, { id: String(id) });
  return id;
}
export function assertCheckpointId(id: unknown): string {
  if (!isCheckpointId(id)) throw new InvalidInputError(`invalid checkpoint id ${JSON.stringify(id)}`, { id: String(id) });
  return id;
}

/** Every path the engine touches, derived from the root in one place. */
export class StateLayout {
  readonly root: string;
  readonly tasksDir: string;
  readonly sessionsDir: string;
  readonly checkpointsDir: string;
  readonly logsDir: string;
  readonly configFile: string;
  readonly legacyFile: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.tasksDir = join(this.root, 'tasks');
    this.sessionsDir = join(this.root, 'sessions');
    this.checkpointsDir = join(this.root, 'checkpoints');
    this.logsDir = join(this.root, 'logs');
    this.configFile = join(this.root, CONFIG_FILE);
    this.legacyFile = join(dirname(this.root), LEGACY_STATE_FILE);
  }

  taskDir(id: string): string {
    return this.taskPaths(id).dir;
  }
  stateFile(id: string): string {
    return this.taskPaths(id).state;
  }
  historyDir(id: string): string {
    return this.taskPaths(id).history;
  }
  historyFile(id: string, version: number): string {
    return `${this.taskPaths(id).history}${sep}${historyFileName(version)}`;
  }

  /**
   * A commit asks for its task's paths a dozen times: each id is checked and joined once (path.join is ~1.5 µs).
   * Kept small: a commit needs one task's, and with 4,096 entries a dashboard host that had read 10,000 tasks
   * stayed 10-15 MB larger (idle `serve` RSS 187-190 MB against 174-178 MB with 64).
   */
  private readonly taskPathCache = new Map<string, { dir: string; state: string; history: string }>();
  private taskPaths(id: string): { dir: string; state: string; history: string } {
    let paths = this.taskPathCache.get(id);
    if (paths === undefined) {
      const dir = join(this.tasksDir, `${TASK_DIR_PREFIX}${assertTaskId(id)}`);
      paths = { dir, state: join(dir, STATE_FILE), history: join(dir, HISTORY_DIR) };
      if (this.taskPathCache.size >= 64) this.taskPathCache.clear();
      this.taskPathCache.set(id, paths);
    }
    return paths;
  }
  sessionFile(id: string): string {
    return join(this.sessionsDir, `${assertSessionId(id)}.json`);
  }
  sessionMarksDir(id: string): string {
    return join(this.sessionsDir, SESSION_MARKS_DIR, assertSessionId(id));
  }
  checkpointFile(id: string): string {
    return join(this.checkpointsDir, checkpointFileName(assertCheckpointId(id)));
  }
}
