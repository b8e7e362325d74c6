// File › Open etcd Cluster… in the desktop app (fake electron module, real
// etcd cluster from the test harness): the dialog is a script-free form
// whose submission is read from the navigation the shell refuses; a valid
// choice switches the dashboard to the cluster and is kept in Open Recent
// beside folders once it opened; an unreachable cluster is reported (in the
// dialog, or in an error box from Open Recent) and the folder stays.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type * as Electron from 'electron';
import { seedStore } from '../helpers.ts';
import { freePorts, freshNamespace, sharedCluster, type EtcdCluster } from '../etcd/cluster.ts';
import { startApp } from '../../electron/app.ts';
import { CANCEL_URL, SUBMIT_URL } from '../../electron/etcd-dialog.ts';
import { placeFromArgv } from '../../electron/place.ts';
import { addRecent, loadRecent } from '../../electron/recent.ts';
import { appDriver, until, type Fake, type FakeWindow } from './app-driver.ts';
import { createFakeElectron } from './fake-electron.ts';

let cluster: EtcdCluster;
beforeAll(async () => {
  cluster = await sharedCluster();
}, 90_000);

describe('File › Open etcd Cluster…', () => {
  let dir: string;
  let root: string;
  let fake: Fake;
  let namespace: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lockstep-electron-etcd-'));
    root = join(dir, '.worktrees', '.state');
    await seedStore({ root }, { 'on-disk': { status: 'in_progress' } });
    namespace = freshNamespace('app');
    await seedStore({ etcd: { endpoints: cluster.endpoints, namespace } }, { 'on-cluster': { status: 'review' } });
    fake = createFakeElectron(dir);
    await startApp(
      fake.electron as unknown as typeof Electron,
      { mainDir: join(dir, 'app', 'out', 'main') },
      ['electron', 'main.js', '--root', root],
      {},
    );
  });

  afterEach(() => {
    fake.app.emit('before-quit');
    rmSync(dir, { recursive: true, force: true });
  });

  const { item, recentItems, snapshot } = appDriver(() => fake);
  const clusterLabel = () => `etcd: ${namespace} on ${cluster.endpoints.join(', ')}`;
  /** Submit the dialog's form as Chromium would: a navigation the shell must refuse. */
  const submit = (dialog: FakeWindow, url: string) => {
    let prevented = false;
    dialog.webContents.emit('will-navigate', { preventDefault: () => (prevented = true), isMainFrame: true }, url);
    expect(prevented, url).toBe(true);
  };
  const formUrl = (endpoints: string, ns: string) => `${SUBMIT_URL}?${new URLSearchParams({ endpoints, namespace: ns })}`;

  it('opens a modal, script-free form; a valid cluster replaces the folder and is kept in Open Recent beside it', async () => {
    expect((await snapshot()).tasks.map((t) => t.task_id)).toEqual(['on-disk']);
    void item('Open etcd Cluster…').click!();
    expect(fake.windows).toHaveLength(2);
    const dialog = fake.windows[1]!;
    expect(dialog.options).toMatchObject({ modal: true, parent: fake.windows[0] });
    expect(dialog.options.webPreferences).toMatchObject({
      javascript: false,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
    });
    expect(dialog.options.webPreferences).not.toHaveProperty('preload');
    const page = decodeURIComponent(dialog.webContents.loaded!.replace(/^data:text\/html;charset=utf-8,/, ''));
    expect(page).toContain(`action="${SUBMIT_URL}"`);
    expect(page).toMatch(/name="endpoints"/);
    expect(page).toMatch(/name="namespace"[^>]*value="lockstep"/);
    expect(page).not.toMatch(/<script/i);

    // A bad endpoint: the form comes back with the reason and what was typed; nothing switches.
    submit(dialog, formUrl('ftp://nowhere:1', namespace));
    const again = decodeURIComponent(dialog.webContents.loaded!);
    expect(again).toMatch(/role="alert">[^<]*only http:\/\/ and https:\/\//);
    expect(again).toContain('value="ftp://nowhere:1"');
    expect(dialog.isDestroyed()).toBe(false);
    // Navigations that are not the form's (a link, a redirect) are refused and ignored.
    submit(dialog, 'https://example.com/');
    expect(dialog.isDestroyed()).toBe(false);

    submit(dialog, formUrl(cluster.endpoints.join(','), namespace));
    // The dialog closes once the cluster opened, and the menu is rebuilt.
    await until(() => dialog.isDestroyed(), 'the dialog to close');
    await until(() => recentItems()[0]!.label === clusterLabel(), 'the cluster in Open Recent');
    const shown = await snapshot();
    expect(shown.tasks.map((t) => t.task_id)).toEqual(['on-cluster']);
    expect(shown.root).toContain(namespace);

    // Open Recent: the cluster first, then the folder; the file keeps both across restarts.
    const labels = recentItems().map((i) => i.label);
    expect(labels).toEqual([clusterLabel(), root]);
    const stored = loadRecent(join(dir, 'recent.json'));
    expect(stored[0]).toEqual({ kind: 'etcd', endpoints: cluster.endpoints, namespace });
    expect(stored[1]).toEqual({ kind: 'folder', root });

    // Back to the folder from Open Recent, then to the cluster again.
    recentItems()[1]!.click!();
    await until(() => recentItems()[0]!.label === root, 'the folder at the top of Open Recent');
    expect((await snapshot()).tasks.map((t) => t.task_id)).toEqual(['on-disk']);
    recentItems()[1]!.click!();
    await until(() => recentItems()[0]!.label === clusterLabel(), 'the cluster at the top again');
    expect((await snapshot()).tasks.map((t) => t.task_id)).toEqual(['on-cluster']);
  }, 60_000);

  it('Cancel or closing the dialog changes nothing; the next dialog offers the last cluster', async () => {
    void item('Open etcd Cluster…').click!();
    submit(fake.windows[1]!, CANCEL_URL);
    expect(fake.windows[1]!.isDestroyed()).toBe(true);
    void item('Open etcd Cluster…').click!();
    fake.windows[2]!.close();
    await new Promise((r) => setTimeout(r, 100));
    expect((await snapshot()).tasks.map((t) => t.task_id)).toEqual(['on-disk']);
    expect(recentItems().map((i) => i.label)).toEqual([root]);

    // After a cluster was opened once, the dialog starts with it filled in.
    void item('Open etcd Cluster…').click!();
    submit(fake.windows[3]!, formUrl(cluster.endpoints.join(','), namespace));
    await until(() => recentItems()[0]!.label === clusterLabel(), 'the cluster in Open Recent');
    void item('Open etcd Cluster…').click!();
    const page = decodeURIComponent(fake.windows[4]!.webContents.loaded!);
    expect(page).toContain(`value="${cluster.endpoints.join(',')}"`);
    expect(page).toContain(`value="${namespace}"`);
    fake.windows[4]!.close();
  }, 60_000);

  it('closing the dialog while it connects cancels: the folder stays shown and nothing joins Open Recent', async () => {
    void item('Open etcd Cluster…').click!();
    const dialog = fake.windows[1]!;
    submit(dialog, formUrl(cluster.endpoints.join(','), namespace));
    expect(decodeURIComponent(dialog.webContents.loaded!)).toContain('<fieldset disabled>'); // connecting
    dialog.close();
    // The attempt itself goes on (a connection cannot be taken back half-way) and ends within about a second
    // here; if it opened the cluster, the folder is put back right after, so wait out that moment too.
    await new Promise((r) => setTimeout(r, 2500));
    await until(async () => (await snapshot()).tasks.map((t) => t.task_id).join() === 'on-disk', 'the folder shown');
    expect(recentItems().map((i) => i.label)).toEqual([root]);
    expect(loadRecent(join(dir, 'recent.json'))).toEqual([{ kind: 'folder', root }]);
    expect(fake.errorBoxes).toEqual([]);
  }, 60_000);

  it("an unreachable cluster: the dialog shows the engine's error naming it and keeps the values; nothing joins Open Recent", async () => {
    const [port] = await freePorts(1);
    void item('Open etcd Cluster…').click!();
    const dialog = fake.windows[1]!;
    submit(dialog, formUrl(`http://127.0.0.1:${port}`, 'nobody'));
    await until(() => decodeURIComponent(dialog.webContents.loaded!).includes('role="alert"'), 'the error in the dialog');
    const page = decodeURIComponent(dialog.webContents.loaded!);
    expect(page).toMatch(new RegExp(`role="alert">etcd cluster unreachable at http://127\\.0\\.0\\.1:${port}`));
    expect(page).toContain(`value="http://127.0.0.1:${port}"`);
    expect(page).toContain('value="nobody"');
    expect(dialog.isDestroyed()).toBe(false);
    expect(fake.errorBoxes).toEqual([]);
    await until(async () => (await snapshot()).tasks.some((t) => t.task_id === 'on-disk'), 'the folder again');
    expect(recentItems().map((i) => i.label)).toEqual([root]);
    expect(loadRecent(join(dir, 'recent.json'))).toEqual([{ kind: 'folder', root }]);
    submit(dialog, CANCEL_URL);
  }, 60_000);

  it('an unreachable cluster from Open Recent is reported in an error box naming it, and the folder stays shown', async () => {
    fake.app.emit('before-quit');
    const [port] = await freePorts(1);
    const userData = join(dir, 'second-run');
    mkdirSync(userData);
    writeFileSync(join(userData, 'recent.json'), JSON.stringify([{ etcd: [`http://127.0.0.1:${port}`], namespace: 'nobody' }, root]));
    fake = createFakeElectron(userData);
    await startApp(
      fake.electron as unknown as typeof Electron,
      { mainDir: join(dir, 'app', 'out', 'main') },
      ['electron', 'main.js', '--root', root],
      {},
    );
    expect(recentItems().map((i) => i.label)).toEqual([root, `etcd: nobody on http://127.0.0.1:${port}`]);
    recentItems()[1]!.click!();
    await until(() => fake.errorBoxes.length > 0, 'the error box');
    expect(fake.errorBoxes[0]!.title).toBe(`Cannot open etcd: nobody on http://127.0.0.1:${port}`);
    expect(fake.errorBoxes[0]!.content).toContain(`http://127.0.0.1:${port}`);
    await until(async () => (await snapshot()).tasks.some((t) => t.task_id === 'on-disk'), 'the folder again');
    expect(recentItems().map((i) => i.label)).toEqual([root, `etcd: nobody on http://127.0.0.1:${port}`]);
  }, 60_000);

  it('a cluster from Open Recent whose CA file is gone opens the dialog, filled in, with the reason; nothing is tried', async () => {
    fake.app.emit('before-quit');
    const userData = join(dir, 'third-run');
    mkdirSync(userData);
    const gone = join(dir, 'certs', 'ca.pem');
    const entry = { etcd: ['https://127.0.0.1:2379'], namespace: 'secure', tls: { ca: gone } };
    writeFileSync(join(userData, 'recent.json'), JSON.stringify([entry, root]));
    fake = createFakeElectron(userData);
    await startApp(
      fake.electron as unknown as typeof Electron,
      { mainDir: join(dir, 'app', 'out', 'main') },
      ['electron', 'main.js', '--root', root],
      {},
    );
    recentItems()[1]!.click!();
    await until(() => fake.windows.length === 2, 'the dialog');
    const page = decodeURIComponent(fake.windows[1]!.webContents.loaded!);
    expect(page).toContain(`role="alert">CA certificate: cannot read ${gone} (no such file).`);
    expect(page).toContain(`name="ca" value="${gone}"`);
    expect(page).toContain('value="https://127.0.0.1:2379"');
    expect(fake.errorBoxes).toEqual([]);
    expect((await snapshot()).tasks.map((t) => t.task_id)).toEqual(['on-disk']);
    fake.windows[1]!.close();
  }, 60_000);
});

describe('Recent list and the first place shown', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lockstep-recent-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the older list of plain paths, keeps clusters, drops folders deleted since and malformed entries', () => {
    const file = join(dir, 'recent.json');
    writeFileSync(
      file,
      JSON.stringify([
        dir,
        join(dir, 'gone'),
        { etcd: ['http://h:2379'], namespace: 'ns' },
        { etcd: [] },
        42,
        { etcd: ['x'], namespace: 7 },
      ]),
    );
    expect(loadRecent(file)).toEqual([
      { kind: 'folder', root: dir },
      { kind: 'etcd', endpoints: ['http://h:2379'], namespace: 'ns' },
    ]);
    // The same cluster with its endpoints in another order is one entry, moved to the top.
    const next = addRecent(file, loadRecent(file), { kind: 'etcd', endpoints: ['http://h:2379'], namespace: 'ns' });
    expect(next).toHaveLength(2);
    expect(next[0]).toMatchObject({ kind: 'etcd' });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual([{ etcd: ['http://h:2379'], namespace: 'ns' }, dir]);
  });

  it('starts on --etcd/--namespace or LOCKSTEP_ETCD, else --root, else the default folder', () => {
    expect(placeFromArgv(['electron', 'main.js', '--etcd', 'h1:2379,h2:2379', '--namespace', 'team'], {})).toEqual({
      kind: 'etcd',
      endpoints: ['http://h1:2379', 'http://h2:2379'],
      namespace: 'team',
    });
    expect(placeFromArgv(['electron', 'main.js'], { LOCKSTEP_ETCD: 'http://h:2379' })).toEqual({
      kind: 'etcd',
      endpoints: ['http://h:2379'],
      namespace: 'lockstep',
    });
    expect(placeFromArgv(['electron', 'main.js', '--root', 'rel'], { LOCKSTEP_ETCD: 'http://h:2379' }, '/work')).toEqual({
      kind: 'folder',
      root: '/work/rel',
    });
    expect(placeFromArgv(['electron', 'main.js'], { LOCKSTEP_ROOT: '/srv/state' })).toEqual({ kind: 'folder', root: '/srv/state' });
  });
});
