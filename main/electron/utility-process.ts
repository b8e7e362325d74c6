// Node processes started by the desktop app (the demo's agents) are utility
// processes: the packaged app's RunAsNode fuse is off, so Electron's binary
// can no longer be re-run as plain node with ELECTRON_RUN_AS_NODE.
import type * as Electron from 'electron';
import type { StartNodeProcess } from '../host/demo.ts';

export function utilityProcessStarter(utilityProcess: Pick<typeof Electron.utilityProcess, 'fork'>, serviceName: string): StartNodeProcess {
  return (modulePath, args) => {
    const child = utilityProcess.fork(modulePath, args, { stdio: 'ignore', serviceName });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return { kill: () => void child.kill(), exited };
  };
}
