// "Start demo": runs `lockstep simulate` into a temporary root and points the
// dashboard at it, so a new user sees it come alive at once. The simulation
// is real: agent processes write through the engine like any other client.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StateHost } from './state-host.ts';

export class DemoRunner {
  private child: ChildProcess | null = null;
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
    this.stop();
    const root = join(mkdtempSync(join(tmpdir(), 'lockstep-demo-')), '.worktrees', '.state');
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

  stop(): void {
    this.child?.kill('SIGTERM');
    this.child = null;
  }
}
