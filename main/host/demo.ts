// "Start demo": runs `lockstep simulate` into a temporary root and points the
// dashboard at it, so a new user sees it come alive at once. The simulation
// is real: agent processes write through the engine like any other client.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StateHost } from './state-host.ts';

export class DemoRunner {
  private child: ChildProcess | null = null;
  /** The temporary folder of the current demo, deleted when the demo stops. */
  private dir: string | null = null;
  private readonly host: StateHost;
  private readonly cliPath: string;
  private readonly execArgv: string[];

  /** `cliPath`: the lockstep CLI entry (source .ts or the bundled .js). */
  constructor(host: StateHost, cliPath: string, execArgv: string[] = []) {
    this.host = host;
    this.cliPath = cliPath;
    this.execArgv = execArgv;
  }

  async start({ agents = 4, tasks = 24 }: { agents?: number; tasks?: number }): Promise<{ root: string }> {
    await this.stop();
    this.dir = mkdtempSync(join(tmpdir(), 'lockstep-demo-'));
    const root = join(this.dir, '.worktrees', '.state');
    // Node's binary even inside Electron: ELECTRON_RUN_AS_NODE makes it behave as node.
    const child = spawn(process.execPath, [...this.execArgv, this.cliPath, '--root', root, 'simulate', '--agents', String(agents), '--tasks', String(tasks), '--seconds', '600', '--pace-ms', '250'], {
      stdio: 'ignore',
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    this.child = child;
    child.on('exit', () => {
      if (this.child === child) {
        this.child = null;
        this.host.setDemo({ root, running: false });
      }
    });
    await this.host.switchRoot(root);
    this.host.setDemo({ root, running: true });
    return { root };
  }

  /** Stop the simulation and delete its temporary folder (the dashboard has moved on from it by then). */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
    }
    if (this.dir) {
      rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
      this.dir = null;
    }
  }
}
