// A range the user picks on the Locks view: "Custom…" takes a start and an
// end, refuses a reversed or future range with a message, and then the
// timeline, the contention table and who blocked whom all show that range —
// here a contended night three hours ago, older than anything the host read
// at start-up, so the host reads it back from the lock log.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LockEvent } from '../../shared/model.ts';
import { test, expect } from '../fixtures.ts';
import { openView, waitReady } from './support.ts';

/** An <input type="datetime-local"> value, in this machine's time zone (the browser's too). */
function localInput(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Lines in the lock log's own format (one JSON line each, in the file of its UTC day), as agents write them: each hold's acquisition and release. */
function writeNight(root: string, start: number): void {
  const lines: LockEvent[] = [];
  const hold = (owner: string, pid: number, token: string, granted: number, wait: number, held: number) => {
    const party = { task_id: 'nightly-build', mode: 'write' as const, pid, owner, wait_ms: wait, token, host: 'ci' };
    lines.push({ ts: new Date(granted).toISOString(), ...party, outcome: 'acquired' });
    lines.push({ ts: new Date(granted + held).toISOString(), ...party, outcome: 'released', hold_ms: held });
  };
  for (let i = 0; i < 40; i++) {
    const t = start + i * 5_000;
    // agent-night-1 holds nightly-build 4 s; agent-night-2, which asked 1 s in, waits 3 s for it, then holds 1 s.
    hold('agent-night-1', 7101, `n1-${i}`, t, 0, 4_000);
    hold('agent-night-2', 7102, `n2-${i}`, t + 4_000, 3_000, 1_000);
  }
  lines.sort((a, b) => (a.ts < b.ts ? -1 : 1));
  const logs = join(root, 'logs');
  mkdirSync(logs, { recursive: true });
  for (const e of lines) appendFileSync(join(logs, `locks-${e.ts.slice(0, 10)}.jsonl`), `${JSON.stringify(e)}\n`);
}

test('a picked range shows a night three hours ago in the timeline, the contention table and who blocked whom', async ({ dashboard }) => {
  test.slow();
  const { page } = dashboard;
  await waitReady(page);
  const night = Date.now() - 3 * 3600_000;
  writeNight(dashboard.root, night);

  await openView(page, 'Locks');
  const timeline = page.getByRole('region', { name: 'Lock timeline' });
  const canvas = timeline.getByRole('img', { name: /^Lock timeline:/ });
  // The last 5 minutes: nothing happened.
  await expect(timeline.getByText('No lock activity in the last 5 min.')).toBeVisible();

  await timeline.getByRole('radiogroup', { name: 'Timeline window' }).getByRole('radio', { name: 'Custom…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Show a range' });
  const from = dialog.getByLabel('From');
  const to = dialog.getByLabel('To');

  // Reversed, then in the future: refused, with the reason.
  await from.fill(localInput(night + 3600_000));
  await to.fill(localInput(night - 600_000));
  await dialog.getByRole('button', { name: 'Show' }).click();
  await expect(dialog.getByRole('alert')).toHaveText('The start must be before the end.');
  await from.fill(localInput(night - 600_000));
  await to.fill(localInput(Date.now() + 3600_000));
  await dialog.getByRole('button', { name: 'Show' }).click();
  await expect(dialog.getByRole('alert')).toHaveText('The end is in the future: pick a time up to now.');

  await to.fill(localInput(night + 600_000));
  await dialog.getByRole('button', { name: 'Show' }).click();
  await expect(dialog).toBeHidden();

  // The timeline: 80 holds of the two night agents, still (not live), over the range.
  await expect(canvas).toHaveAttribute('data-holds', '80');
  await expect(canvas).toHaveAttribute('data-live', 'false');
  await expect(timeline.getByRole('list', { name: 'Owners' }).getByRole('listitem')).toHaveText(['agent-night-1', 'agent-night-2']);
  const shownFrom = Number(await canvas.getAttribute('data-from'));
  const shownTo = Number(await canvas.getAttribute('data-to'));
  expect(Math.abs(shownFrom - (night - 600_000))).toBeLessThan(1000);
  expect(Math.abs(shownTo - (night + 600_000))).toBeLessThan(1000);
  // Both window selectors say a range is shown, and the URL keeps it.
  await expect(page.getByRole('radiogroup', { name: 'Contention window' }).getByRole('radio', { checked: true })).toHaveText(/–/);
  expect(new URL(page.url()).hash).toMatch(/from=.*&to=/);

  // The contention table counts the range's lines; who blocked whom says who kept whom waiting: 40 waits of 3 s.
  const contention = page.getByRole('table', { name: 'Lock contention' });
  await expect(contention.getByRole('row', { name: /nightly-build/ })).toContainText('80');
  const blockers = page.getByRole('table', { name: 'Who blocked whom' });
  const row = blockers.getByRole('row', { name: /agent-night-1/ });
  await expect(row).toContainText('agent-night-2');
  await expect(row).toContainText('2m 00s'); // 40 × 3 s
  await expect(row).toContainText('40');

  await page.mouse.move(0, 0);
  await dashboard.screenshot('lock-timeline-custom-range');

  // A window again: back to live, and the range leaves the URL.
  await timeline.getByRole('radiogroup', { name: 'Timeline window' }).getByRole('radio', { name: '1 h' }).click();
  await expect(canvas).toHaveAttribute('data-live', 'true');
  await expect(canvas).toHaveAttribute('data-holds', '0');
  expect(new URL(page.url()).hash).not.toMatch(/from=/);
});
