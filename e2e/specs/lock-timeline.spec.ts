// The lock timeline with real agents: `lockstep simulate` runs, the Locks
// view draws their holds in lanes with the right owners, and hovering a
// hold shows the wait and hold the lock log recorded for it.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import type { LockEvent } from '../../shared/model.ts';
import { test, expect } from '../fixtures.ts';
import { openView, waitReady } from './support.ts';

const GUTTER = 132; // renderer/src/views/locks/timeline/paint.ts
const AXIS = 22;
const LANE = 22;

function lockLog(root: string): LockEvent[] {
  const dir = join(root, 'logs');
  return readdirSync(dir)
    .filter((n) => n.startsWith('locks-'))
    .flatMap((n) => readFileSync(join(dir, n), 'utf8').split('\n').filter(Boolean))
    .map((l) => JSON.parse(l) as LockEvent);
}

/** The duration as the dashboard prints it (lib/format.ts duration). */
function shown(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

async function range(page: Page): Promise<{ from: number; to: number; width: number; lanes: string[] }> {
  const canvas = page.getByRole('img', { name: /^Lock timeline:/ });
  const box = (await canvas.boundingBox())!;
  return {
    from: Number(await canvas.getAttribute('data-from')),
    to: Number(await canvas.getAttribute('data-to')),
    width: box.width,
    lanes: (await canvas.getAttribute('data-lanes'))!.split('\n'),
  };
}

test('simulated agents appear in the timeline with their owners, and hovering shows a real wait', async ({ dashboard }) => {
  test.slow();
  const { page } = dashboard;
  await waitReady(page);
  const sim = dashboard.cli('simulate', '--agents', '4', '--tasks', '3', '--seconds', '4');
  expect(sim.code).toBe(0);

  const log = lockLog(dashboard.root).filter((e) => !e.task_id.startsWith('session:'));
  const owners = [...new Set(log.map((e) => e.owner))].sort();
  expect(owners).toEqual(['agent-1', 'agent-2', 'agent-3', 'agent-4']);

  await openView(page, 'Locks');
  const timeline = page.getByRole('region', { name: 'Lock timeline' });
  const canvas = timeline.getByRole('img', { name: /^Lock timeline:/ });
  const holds = log.filter((e) => e.outcome === 'released');
  await expect(canvas).toHaveAttribute('data-holds', String(holds.length));
  await expect(timeline.getByRole('list', { name: 'Owners' }).getByRole('listitem')).toHaveText(owners);

  // The hold that waited longest, found by hovering it once the view is paused and zoomed around it.
  const target = holds.reduce((a, b) => (b.wait_ms > a.wait_ms ? b : a));
  expect(target.wait_ms).toBeGreaterThan(0);
  const granted = Date.parse(target.ts) - target.hold_ms!;
  const middle = granted + target.hold_ms! / 2;
  await timeline.getByRole('button', { name: 'Pause' }).click();
  await expect(canvas).toHaveAttribute('data-live', 'false');
  const box = (await canvas.boundingBox())!;
  const at = async () => {
    const r = await range(page);
    const lane = r.lanes.indexOf(target.task_id);
    expect(lane).toBeGreaterThanOrEqual(0);
    return { x: box.x + GUTTER + ((middle - r.from) / (r.to - r.from)) * (r.width - GUTTER), y: box.y + AXIS + lane * LANE + LANE / 2 };
  };
  // Zoom in with the wheel around the hold until it is wide enough to hover alone.
  for (let i = 0; i < 12; i++) {
    const p = await at();
    await page.mouse.move(p.x, p.y);
    const r = await range(page);
    if (r.to - r.from < 3 * (target.hold_ms! + target.wait_ms) + 200) break;
    await page.mouse.wheel(0, -600);
    await expect.poll(async () => (await range(page)).from).not.toBe(r.from); // redrawn before the next step
  }
  const p = await at();
  await page.mouse.move(p.x, p.y);
  const tooltip = page.getByRole('tooltip');
  await expect(tooltip).toContainText(`Owner${target.owner}`);
  await expect(tooltip).toContainText(`PID${target.pid}`);
  await expect(tooltip).toContainText(`Task${target.task_id} (${target.mode})`);
  await expect(tooltip).toContainText(`Waited${shown(target.wait_ms)}`);
  await expect(tooltip).toContainText(`Held${shown(target.hold_ms!)}`);
  await dashboard.screenshot('lock-timeline-hover');

  // By owner: one lane per agent.
  await timeline.getByRole('radio', { name: 'By owner' }).click();
  expect((await range(page)).lanes).toEqual(owners);

  // Live again: new holds reach the open view as agents work (pushed in patches, no reload).
  await timeline.getByRole('button', { name: 'Live' }).click();
  await timeline.getByRole('radio', { name: 'By task' }).click();
  await expect(canvas).toHaveAttribute('data-live', 'true');
  const before = holds.length;
  const started = Date.now();
  const busy = dashboard.spawnCli('simulate', '--agents', '6', '--tasks', '5', '--seconds', '10');
  await expect.poll(async () => Number(await canvas.getAttribute('data-holds')), { timeout: 30_000 }).toBeGreaterThan(before + 40);
  // A reviewer holds sim-1; a bot gives up on it (a time-out mark).
  // The reviewer lets go only after the bot gave up: with a fixed 3 s hold, a bot whose CLI took 2 s to
  // start on a loaded machine (simulate is running too) could be granted the lock instead of timing out.
  const reviewer = dashboard.spawnCli('lock', 'acquire', 'sim-1', '--hold', '60000', '--owner', 'reviewer');
  await reviewer.firstLine;
  const reviewing = Date.now();
  const bot = dashboard.spawnCli('lock', 'acquire', 'sim-1', '--timeout', '1000', '--owner', 'release-bot');
  expect(await new Promise<number | null>((resolve) => bot.child.once('exit', resolve))).toBe(4);
  await new Promise((resolve) => setTimeout(resolve, reviewing + 3000 - Date.now())); // a hold of 3 s or more, as before
  const reviewed = new Promise((resolve) => reviewer.child.once('exit', resolve));
  reviewer.child.kill('SIGTERM');
  expect(await reviewed).toBe(0);
  expect(JSON.parse(await busy.firstLine)).toMatchObject({ agents: 6, errors: 0 });
  await expect(timeline).toContainText(/[1-9]\d* time-outs?/);

  // The picture for the README: paused on the run, zoomed around it with the wheel.
  const ended = Date.now();
  const first = Math.min(
    ...lockLog(dashboard.root)
      .map((e) => Date.parse(e.ts))
      .filter((t) => t >= started),
  );
  await timeline.getByRole('button', { name: 'Pause' }).click();
  for (let i = 0; i < 12; i++) {
    const r = await range(page);
    if (r.to - r.from < 1.3 * (ended - first)) break;
    const mid = (first + ended) / 2;
    await page.mouse.move(box.x + GUTTER + ((mid - r.from) / (r.to - r.from)) * (r.width - GUTTER), box.y + AXIS + 2);
    await page.mouse.wheel(0, -300);
    await expect.poll(async () => (await range(page)).from).not.toBe(r.from);
  }
  await page.mouse.move(0, 0);
  await dashboard.screenshot('lock-timeline');

  // The Overview names the task fought over most: sim-1, where 'release-bot' and agents timed out.
  await openView(page, 'Overview');
  const card = page.getByRole('region', { name: 'Most contended now' });
  await expect(card.getByRole('link', { name: 'sim-1' })).toBeVisible();
  await expect(card).toContainText(/time-outs?/);
  await dashboard.screenshot('overview-contended');

  // The task panel has the same timeline for that task alone, one lane per owner.
  await card.getByRole('link', { name: 'sim-1' }).click();
  const own = page.getByRole('region', { name: 'Locks on this task' });
  await expect(own.getByRole('img', { name: /^Locks on this task:/ })).toHaveAttribute('data-holds', /^[1-9]\d*$/);
  await expect(own.getByRole('list', { name: 'Owners' })).toContainText('reviewer');
  await own.scrollIntoViewIfNeeded();
  await dashboard.screenshot('task-lock-timeline');
});

test('a deadlock between two agents is flagged with its cycle drawn, and clears when one times out', async ({ dashboard }) => {
  const { page } = dashboard;
  await waitReady(page);
  await openView(page, 'Locks');
  const worker = join('main', 'test', 'workers', 'hold-then-wait.ts');
  const agent = (owner: string, hold: string, wait: string, timeout: number) => {
    const child = spawn(
      process.execPath,
      [worker, '--root', dashboard.root, '--owner', owner, '--hold', hold, '--wait', wait, '--timeout', String(timeout)],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    // Lines are queued as they come: one may arrive before anybody asks for it.
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const next = async () => (await lines.next()).value as string;
    return { child, next };
  };
  // agent-a gives up after 20 s: the banner, its ring and the screenshot must all be seen before that,
  // which 8 s left little room for on a loaded 2-core machine.
  const a = agent('agent-a', 'left', 'right', 20_000);
  const b = agent('agent-b', 'right', 'left', 60_000);
  try {
    expect(await a.next()).toBe('held');
    expect(await b.next()).toBe('held');
    a.child.stdin!.write('go\n');
    b.child.stdin!.write('go\n');
    const banner = page.getByRole('alert').filter({ hasText: 'Deadlock' });
    await expect(banner).toBeVisible();
    const ring = banner.getByRole('img', {
      name: /^agent-a \(pid \d+\) holds left, waits for right → agent-b \(pid \d+\) holds right, waits for left → agent-a/,
    });
    await expect(ring).toBeVisible();
    await expect(ring).toContainText('waits for right');
    await expect(ring).toContainText('waits for left');
    await dashboard.screenshot('deadlock');
    // agent-a gives up: agent-b gets "left", and the banner goes.
    expect(JSON.parse(await a.next())).toEqual({ waited: 'timeout' });
    await expect(banner).toBeHidden();
    expect(JSON.parse(await b.next())).toEqual({ waited: 'acquired' });
  } finally {
    a.child.kill('SIGKILL');
    b.child.kill('SIGKILL');
  }
});

test('"Pause live updates" holds the timeline still, and resuming shows what happened meanwhile', async ({ dashboard }) => {
  const { page } = dashboard;
  await waitReady(page);
  await openView(page, 'Locks');
  const canvas = page.getByRole('region', { name: 'Lock timeline' }).getByRole('img', { name: /^Lock timeline:/ });
  expect(dashboard.cli('lock', 'acquire', 'paused-task', '--hold', '0', '--owner', 'first').code).toBe(0);
  await expect(canvas).toHaveAttribute('data-holds', '1');
  await page.getByRole('button', { name: 'Pause live updates' }).click();
  expect(dashboard.cli('lock', 'acquire', 'paused-task', '--hold', '0', '--owner', 'second').code).toBe(0);
  await page.waitForTimeout(1500); // a patch arrives within ~100 ms: long enough to see it was held back
  await expect(canvas).toHaveAttribute('data-holds', '1');
  await page.getByRole('button', { name: 'Resume live updates' }).click();
  await expect(canvas).toHaveAttribute('data-holds', '2');
  await expect(page.getByRole('region', { name: 'Lock timeline' }).getByRole('list', { name: 'Owners' })).toContainText('second');
});

/** Which plot columns of each lane have a bar, read from the canvas's pixels (a bar's middle row). */
async function laneCoverage(page: Page): Promise<string[]> {
  return page.evaluate(
    ({ gutter, axis, lane }) => {
      const canvas = document.querySelector<HTMLCanvasElement>('canvas[data-holds]')!;
      const dpr = window.devicePixelRatio || 1;
      const ctx = canvas.getContext('2d')!;
      const lanes = canvas.getAttribute('data-lanes')!.split('\n').length;
      const out: string[] = [];
      for (let i = 0; i < lanes; i++) {
        const y = Math.round((axis + i * lane + lane / 2) * dpr);
        const x0 = Math.ceil(gutter * dpr);
        const row = ctx.getImageData(x0, y, canvas.width - x0, 1).data;
        let s = '';
        for (let x = 0; x < row.length; x += 4) s += row[x + 3]! > 0 ? '#' : '.';
        out.push(s);
      }
      return out;
    },
    { gutter: GUTTER, axis: AXIS, lane: LANE },
  );
}

test('panned by drag, the timeline draws its bars where a full repaint of the same view puts them, with no gap', async ({ dashboard }) => {
  test.slow();
  const { page, root } = dashboard;
  await waitReady(page);
  await openView(page, 'Locks');
  const timeline = page.getByRole('region', { name: 'Lock timeline' });
  const canvas = timeline.getByRole('img', { name: /^Lock timeline:/ });
  // 10,000 holds of 16 agents on 24 tasks over the last 4 minutes, as the lock log records them.
  const now = Date.now();
  const lines: string[] = [];
  for (let i = 0; i < 10_000; i++) {
    const t = now - 240_000 + i * 24;
    const e: LockEvent = {
      ts: new Date(t).toISOString(),
      task_id: `task-${(i * 7) % 24}`,
      mode: i % 4 === 0 ? 'read' : 'write',
      pid: 1000 + (i % 16),
      owner: `agent-${1 + (i % 16)}`,
      wait_ms: i % 5 === 0 ? 60 : 0,
      outcome: 'released',
      hold_ms: 20 + (i % 90),
      token: `t${i}`,
      host: 'spec',
    };
    lines.push(JSON.stringify(e));
  }
  mkdirSync(join(root, 'logs'), { recursive: true });
  appendFileSync(join(root, 'logs', `locks-${new Date(now).toISOString().slice(0, 10)}.jsonl`), `${lines.join('\n')}\n`);
  await expect(canvas).toHaveAttribute('data-holds', '10000', { timeout: 30_000 });

  // Zoomed in (a view of the whole window has nowhere to pan), paused, then dragged back in time.
  await canvas.focus();
  await page.keyboard.press('+');
  await page.keyboard.press('+');
  await timeline.getByRole('button', { name: 'Pause' }).click();
  await expect(canvas).toHaveAttribute('data-live', 'false');
  await page.waitForTimeout(1000); // the tiles around the view are built in idle time
  const before = await range(page);
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + GUTTER + 40, box.y + AXIS + 4);
  await page.mouse.down();
  for (let x = 15; x <= 600; x += 15) await page.mouse.move(box.x + GUTTER + 40 + x, box.y + AXIS + 4);
  await page.mouse.up();
  const after = await range(page);
  // 600 px back in time: the view moved by that much of its span.
  expect((before.to - after.to) / (before.to - before.from)).toBeCloseTo(600 / (before.width - GUTTER), 2);
  // Once the tiles around the new view are built, a short drag there and back paints that same view from them.
  // They are built in idle time, which a loaded machine has less of: if a drag still painted directly, the
  // tiles were not all there yet, and it is dragged again (each drag ends where it began), within 20 s.
  await page.waitForTimeout(1000);
  const paints = () =>
    page.evaluate(() =>
      (globalThis as { __lockTimelinePaints?: [number, number, number, string][] }).__lockTimelinePaints!.map((p) => p[3]),
    );
  const shortDrag = async () => {
    await page.evaluate(() => ((globalThis as { __lockTimelinePaints?: unknown[] }).__lockTimelinePaints = []));
    await page.mouse.down();
    for (const dx of [-15, -30, -15, 0]) await page.mouse.move(box.x + GUTTER + 640 + dx, box.y + AXIS + 4);
    await page.mouse.up();
    await page.mouse.move(0, 0);
  };
  let drags = 0;
  await expect
    .poll(
      async () => {
        const last = drags > 0 ? (await paints()).at(-1) : undefined;
        if (last === 'copy') return last;
        await shortDrag();
        drags++;
        return last ?? 'not yet painted';
      },
      { timeout: 20_000, intervals: [500] },
    )
    .toBe('copy');
  expect(await range(page)).toEqual(after);
  await dashboard.screenshot('lock-timeline-panned');
  const panned = await laneCoverage(page);

  // The same view painted afresh: a width change drops the tiles, and the first paint after it draws every bar.
  await page.setViewportSize({ width: 1441, height: 900 });
  await expect.poll(async () => (await canvas.boundingBox())!.width).not.toBe(box.width);
  await page.setViewportSize({ width: 1440, height: 900 });
  await expect.poll(async () => (await canvas.boundingBox())!.width).toBe(box.width);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  expect(await range(page)).toEqual(after);
  expect((await paints()).at(-1)).toBe('direct');
  const fresh = await laneCoverage(page);

  expect(panned.length).toBe(24);
  for (let i = 0; i < panned.length; i++) {
    const [a, b] = [panned[i]!, fresh[i]!];
    expect(a.length).toBe(b.length);
    // Tiles sit on whole device pixels: a bar may move by one column, never more, and none is lost.
    let differ = 0;
    for (let x = 0; x < a.length; x++) if (a[x] !== b[x] && a[x - 1] !== b[x] && a[x + 1] !== b[x]) differ++;
    expect(differ, `lane ${i}: columns drawn differently from a full repaint`).toBe(0);
    // Dense holds: no lane has a run of empty columns where the full repaint has bars (a seam between tiles).
    expect(a.replace(/#+/g, '#').length).toBeLessThanOrEqual(b.replace(/#+/g, '#').length + 4);
  }
});
