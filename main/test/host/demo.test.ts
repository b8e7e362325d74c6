// The dashboard's demo under `lockstep serve`: real agent processes (Node
// child processes) write into a temporary root, and stop with the demo.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DemoRunner, nodeChildProcess, type NodeProcess } from '../../host/demo.ts';
import { StateHost } from '../../host/state-host.ts';

const CLI_SOURCE = resolve('main/cli/bin.ts');

describe('demo agents', () => {
  let dir: string;
  let host: StateHost;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lockstep-demo-test-'));
    host = new StateHost({ root: join(dir, '.worktrees', '.state') });
    await host.start();
  });

  afterEach(async () => {
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts real agent processes that fill a temporary root, and stop them with their folder', async () => {
    const started: NodeProcess[] = [];
    const spawnNode = nodeChildProcess();
    const demo = new DemoRunner(host, CLI_SOURCE, [], (modulePath, args) => {
      const agent = spawnNode(modulePath, args);
      started.push(agent);
      return agent;
    });
    const { root } = await demo.start({ agents: 2, tasks: 6 });
    expect(host.root).toBe(root);
    expect(host.snapshot().demo).toEqual({ root, running: true });
    expect(started).toHaveLength(2);

    const deadline = Date.now() + 30_000;
    // Each agent opens its session, then writes tasks: the two may reach the host in either order.
    while ((host.snapshot().tasks.length === 0 || host.snapshot().sessions.length < 2) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(host.snapshot().tasks.length).toBeGreaterThan(0);
    expect(host.snapshot().sessions.length).toBe(2);

    let allExited = false;
    void Promise.all(started.map((agent) => agent.exited)).then(() => (allExited = true));
    await demo.stop();
    await new Promise((r) => setImmediate(r));
    expect(allExited).toBe(true);
    expect(existsSync(dirname(dirname(root)))).toBe(false);
  });
});
