// Driving the desktop app's shell through the fake electron module as a user
// would: its File menu, Open Recent, and what the window shows once the
// renderer says it is ready. Shared by the tests that open places (folders,
// clusters) through the menu.
import { expect } from 'vitest';
import { EVENT_CHANNELS, REQUEST_CHANNELS } from '../../../shared/channels.ts';
import type { createFakeElectron } from './fake-electron.ts';

export type Fake = ReturnType<typeof createFakeElectron>;
export type FakeWindow = Fake['windows'][number];

export interface MenuItem {
  label?: string;
  submenu?: MenuItem[];
  click?: () => unknown;
  type?: string;
}

/** `fake()` is read on each call: a test may start a new app (a new fake) between steps. */
export function appDriver(fake: () => Fake) {
  const fileMenu = () => (fake().menus.at(-1) as MenuItem[]).find((m) => m.label === 'File')!.submenu!;
  const item = (label: string) => fileMenu().find((i) => i.label === label)!;
  return {
    fileMenu,
    item,
    /** Open Recent's places, without its separator and "Clear Recent". */
    recentItems: () => item('Open Recent').submenu!.filter((i) => i.type !== 'separator' && i.label !== 'Clear Recent'),
    /** The snapshot the main window is sent once its renderer says `ready`. */
    async snapshot() {
      const window = fake().windows[0]!.webContents;
      const event = { sender: window, senderFrame: { url: 'lockstep://app/index.html' } };
      const result = (await fake().handlers.get(REQUEST_CHANNELS.ready)!(event, {})) as { ok: boolean };
      expect(result.ok).toBe(true);
      return window.sent.findLast((m) => m.channel === EVENT_CHANNELS.reset)!.payload as { root: string; tasks: { task_id: string }[] };
    },
  };
}

/** Polls `check` until it holds; fails naming `what` after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
