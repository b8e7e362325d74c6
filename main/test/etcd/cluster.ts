// A real etcd cluster on loopback ports, for tests and benchmarks.
//
//   const cluster = await startCluster({ members: 3 });  // waits until healthy
//   cluster.endpoints        // ['http://127.0.0.1:C1', …]
//   await cluster.leader()   // the member that leads now
//   await cluster.kill('m2') // SIGKILL by pid; cluster.restart('m2') brings it back with its data
//   await cluster.stop()     // kills every member by pid and removes the data folders
//
// sharedCluster() gives every test file of one vitest run the same 3-member
// cluster: the first file that asks starts it, the others find it by the
// vitest process's pid, and a small reaper process (cluster-reaper.ts) stops
// it by pid once that vitest process has exited, however the run ends.
//
// Members run with the flags the README documents for production: history is
// compacted automatically (`--auto-compaction-mode revision
// --auto-compaction-retention 1000` keeps the last 1000 revisions; etcd 3.4
// compacts every 5 minutes in revision mode), so the database cannot fill its
// quota and turn read-only.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, closeSync, renameSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ETCD_BIN = process.env.LOCKSTEP_ETCD_BIN ?? '/usr/bin/etcd';
const REAPER = fileURLToPath(new URL('./cluster-reaper.ts', import.meta.url));

export interface MemberInfo {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  pid: number | null;
}

/** What a cluster's state file holds: enough for another process to use it, or reap it. */
export interface ClusterState {
  dir: string;
  token: string;
  members: MemberInfo[];
  tls?: ClusterTls;
}

/** Clients are served over TLS with this certificate and key (PEM files); peers stay on plain loopback HTTP. */
export interface ClusterTls {
  certFile: string;
  keyFile: string;
  caFile: string;
  /** Require client certificates signed by caFile (--client-cert-auth); the harness's health check presents this one. */
  client?: { certFile: string; keyFile: string };
}

export interface StartOptions {
  /** 1 or 3 (default 3). */
  members?: number;
  /** Where the data folders go (default: a new temp folder, removed by stop()). */
  dir?: string;
  tls?: ClusterTls;
}

/** The flags every member runs with, beyond its addresses (see the top of this file). */
export const ETCD_FLAGS = [
  '--auto-compaction-mode',
  'revision',
  '--auto-compaction-retention',
  '1000',
  '--logger',
  'zap',
  '--log-level',
  'warn',
];

/** Ports this process has handed out: the kernel may offer a closed one again at once. */
const handedOut = new Set<number>();

/**
 * `count` distinct loopback ports nothing listens on now, and none handed out
 * before by this process. Every socket stays open until all are picked: a port
 * closed and picked again at once can come back from the kernel twice (CI once
 * got one peer port for two members of a cluster).
 */
export async function freePorts(count: number): Promise<number[]> {
  const open: Server[] = [];
  const ports: number[] = [];
  try {
    while (ports.length < count) {
      const server = await new Promise<Server>((resolve, reject) => {
        const s = createServer();
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve(s));
      });
      open.push(server);
      const { port } = server.address() as { port: number };
      if (!handedOut.has(port)) ports.push(port);
    }
  } finally {
    await Promise.all(open.map((s) => new Promise((resolve) => s.close(resolve))));
  }
  for (const port of ports) handedOut.add(port);
  return ports;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function alive(pid: number | null): boolean {
  if (pid === null) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class EtcdCluster {
  readonly state: ClusterState;
  private readonly detached: boolean;

  constructor(state: ClusterState, detached: boolean) {
    this.state = state;
    this.detached = detached;
  }

  get endpoints(): string[] {
    return this.state.members.map((m) => m.clientUrl);
  }

  member(name: string): MemberInfo {
    const m = this.state.members.find((x) => x.name === name);
    if (!m) throw new Error(`no member ${name}`);
    return m;
  }

  /** Write the state file (pids included) that the reaper and other test files read. */
  save(): void {
    const file = join(this.state.dir, 'cluster.json');
    writeFileSync(`${file}.tmp`, JSON.stringify(this.state));
    renameSync(`${file}.tmp`, file);
  }

  private launch(m: MemberInfo, clusterState: 'new' | 'existing'): void {
    const initialCluster = this.state.members.map((x) => `${x.name}=${x.peerUrl}`).join(',');
    const log = openSync(join(this.state.dir, `${m.name}.log`), 'a');
    const child = spawn(
      ETCD_BIN,
      [
        '--name',
        m.name,
        '--data-dir',
        m.dataDir,
        '--listen-client-urls',
        m.clientUrl,
        '--advertise-client-urls',
        m.clientUrl,
        '--listen-peer-urls',
        m.peerUrl,
        '--initial-advertise-peer-urls',
        m.peerUrl,
        '--initial-cluster',
        initialCluster,
        '--initial-cluster-state',
        clusterState,
        '--initial-cluster-token',
        this.state.token,
        ...(this.state.tls ? ['--cert-file', this.state.tls.certFile, '--key-file', this.state.tls.keyFile] : []),
        ...(this.state.tls?.client ? ['--client-cert-auth', '--trusted-ca-file', this.state.tls.caFile] : []),
        ...ETCD_FLAGS,
      ],
      { stdio: ['ignore', log, log], detached: this.detached },
    );
    closeSync(log);
    if (this.detached) child.unref();
    m.pid = child.pid ?? null;
    this.save();
  }

  /**
   * Start a new cluster. A port picked free can be taken by another process
   * before etcd binds it; then the members exit at once, and the cluster is
   * started again on other ports (up to three times).
   */
  async startAll(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      for (const m of this.state.members) this.launch(m, 'new');
      try {
        await this.waitHealthy(30_000, true);
        return;
      } catch (err) {
        const logs = this.state.members.map((m) => readTail(join(this.state.dir, `${m.name}.log`))).join('\n');
        if (attempt >= 3 || !/address already in use|duplicate url/.test(logs)) throw err;
        for (const m of this.state.members) await this.kill(m.name);
        await this.newPorts();
      }
    }
  }

  private async newPorts(): Promise<void> {
    const ports = await freePorts(this.state.members.length * 2);
    for (const [i, m] of this.state.members.entries()) {
      rmSync(m.dataDir, { recursive: true, force: true });
      rmSync(join(this.state.dir, `${m.name}.log`), { force: true });
      m.clientUrl = m.clientUrl.replace(/:\d+$/, `:${ports[2 * i]}`);
      m.peerUrl = m.peerUrl.replace(/:\d+$/, `:${ports[2 * i + 1]}`);
    }
    this.save();
  }

  /** Resolves once every running member reports healthy (or throws after `timeoutMs`). */
  async waitHealthy(timeoutMs = 30_000, allMustRun = false): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const running = this.state.members.filter((m) => alive(m.pid));
      const checks = await Promise.all(running.map((m) => this.healthy(m)));
      if (running.length > 0 && checks.every(Boolean)) return;
      const exited = allMustRun && running.length < this.state.members.length;
      if (exited || Date.now() > deadline) {
        const logs = this.state.members.map((m) => `${m.name}: ${readTail(join(this.state.dir, `${m.name}.log`))}`).join('\n');
        throw new Error(`etcd cluster not healthy ${exited ? '(a member exited)' : `after ${timeoutMs} ms`}\n${logs}`);
      }
      await sleep(100);
    }
  }

  private async healthy(m: MemberInfo): Promise<boolean> {
    try {
      if (this.state.tls) return (await httpsGet(`${m.clientUrl}/health`, this.state.tls)).includes('"health":"true"');
      const res = await fetch(`${m.clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
      const body = (await res.json()) as { health?: string };
      return body.health === 'true';
    } catch {
      return false;
    }
  }

  /** The member leading now (asks the running members; retries while an election runs). */
  async leader(timeoutMs = 10_000): Promise<MemberInfo> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const m of this.state.members.filter((x) => alive(x.pid))) {
        try {
          const res = await fetch(`${m.clientUrl}/v3/maintenance/status`, {
            method: 'POST',
            body: '{}',
            signal: AbortSignal.timeout(1000),
          });
          const body = (await res.json()) as { header?: { member_id?: string }; leader?: string };
          if (body.leader && body.leader !== '0' && body.header?.member_id === body.leader) return m;
        } catch {
          /* this member is down or electing: ask the next */
        }
      }
      if (Date.now() > deadline) throw new Error('no etcd leader found');
      await sleep(100);
    }
  }

  /** Send a signal to a member by pid (SIGKILL by default) and wait until it is gone. */
  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const m = this.member(name);
    if (m.pid === null) return;
    try {
      process.kill(m.pid, signal);
    } catch {
      /* already gone */
    }
    for (let i = 0; i < 100 && alive(m.pid); i++) await sleep(50);
    m.pid = null;
    this.save();
  }

  /** Start a killed member again on its data folder, and wait until the cluster is healthy. */
  async restart(name: string): Promise<void> {
    const m = this.member(name);
    if (alive(m.pid)) return;
    this.launch(m, 'existing');
    await this.waitHealthy();
  }

  /** Restart any member that is not running (a test that killed one and failed before restarting it). */
  async heal(): Promise<void> {
    for (const m of this.state.members) if (!alive(m.pid)) this.launch(m, 'existing');
    await this.waitHealthy();
  }

  /** Kill every member by pid and remove the data folders. */
  async stop(): Promise<void> {
    for (const m of this.state.members) await this.kill(m.name);
    rmSync(this.state.dir, { recursive: true, force: true });
  }
}

/** fetch() cannot be given a CA: a TLS member's health is asked with node:https. */
function httpsGet(url: string, tls: ClusterTls): Promise<string> {
  const ca = readFileSync(tls.caFile);
  const client = tls.client ? { cert: readFileSync(tls.client.certFile), key: readFileSync(tls.client.keyFile) } : {};
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, ...client, timeout: 1000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject).on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

function readTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-600);
  } catch {
    return '(no log)';
  }
}

async function newState(dir: string, members: number, tls?: ClusterTls): Promise<ClusterState> {
  const list: MemberInfo[] = [];
  const ports = await freePorts(members * 2);
  for (let i = 1; i <= members; i++) {
    const name = `m${i}`;
    list.push({
      name,
      clientUrl: `${tls ? 'https' : 'http'}://127.0.0.1:${ports[2 * i - 2]}`,
      peerUrl: `http://127.0.0.1:${ports[2 * i - 1]}`,
      dataDir: join(dir, name),
      pid: null,
    });
  }
  return { dir, token: `lockstep-test-${process.pid}-${Date.now()}`, members: list, ...(tls ? { tls } : {}) };
}

/** Start a cluster owned by this process (stop it yourself; it is also killed when this process exits). */
export async function startCluster(options: StartOptions = {}): Promise<EtcdCluster> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'lockstep-etcd-'));
  mkdirSync(dir, { recursive: true });
  const cluster = new EtcdCluster(await newState(dir, options.members ?? 3, options.tls), false);
  process.once('exit', () => {
    for (const m of cluster.state.members) {
      if (m.pid === null) continue;
      try {
        process.kill(m.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
  await cluster.startAll();
  return cluster;
}

// ---- one cluster per vitest run ----------------------------------------------

let shared: Promise<EtcdCluster> | null = null;

/**
 * The 3-member cluster shared by every test file of this vitest run (test
 * files run in processes forked by vitest, so their parent pid names the run).
 * Test files use their own namespaces; a file that kills a member restarts it.
 */
export function sharedCluster(): Promise<EtcdCluster> {
  shared ??= openShared(process.ppid);
  return shared;
}

async function openShared(runPid: number): Promise<EtcdCluster> {
  const dir = join(tmpdir(), `lockstep-etcd-run-${runPid}`);
  const stateFile = join(dir, 'cluster.json');
  let owner = false;
  try {
    mkdirSync(dir); // exclusive: the first file of the run starts the cluster
    owner = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if (owner) {
    const cluster = new EtcdCluster(await newState(dir, 3), true);
    cluster.save();
    const reaper = spawn(process.execPath, [REAPER, String(runPid), dir], { stdio: 'ignore', detached: true });
    reaper.unref();
    await cluster.startAll();
    writeFileSync(join(dir, 'ready'), '');
    return cluster;
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      readFileSync(join(dir, 'ready'));
      const cluster = new EtcdCluster(JSON.parse(readFileSync(stateFile, 'utf8')) as ClusterState, true);
      await cluster.heal(); // a previous file may have left a member down
      return cluster;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`shared etcd cluster in ${dir} did not come up: ${(err as Error).message}`, { cause: err });
      await sleep(100);
    }
  }
}

/** A namespace no other test uses, so test files and tests share a cluster without seeing each other. */
export function freshNamespace(label = 'test'): string {
  return `t-${label}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
