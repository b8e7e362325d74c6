// The native menu, as a template built from plain actions so its structure
// can be tested without Electron.
import type { MenuItemConstructorOptions } from 'electron';
import { recentLabel, type RecentEntry } from './recent.ts';

export type ThemeSource = 'system' | 'light' | 'dark';

export interface MenuActions {
  openStateFolder(): void;
  openEtcdCluster(): void;
  openRecent(entry: RecentEntry): void;
  clearRecent(): void;
  reload(): void;
  setTheme(theme: ThemeSource): void;
  openDocs(): void;
  about(): void;
}

export function buildMenuTemplate(
  actions: MenuActions,
  recent: RecentEntry[],
  theme: ThemeSource,
  isMac: boolean,
  devTools: boolean,
): MenuItemConstructorOptions[] {
  const themeItem = (label: string, value: ThemeSource): MenuItemConstructorOptions => ({
    label,
    type: 'radio',
    checked: theme === value,
    click: () => actions.setTheme(value),
  });
  return [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Open State Folder…', accelerator: 'CmdOrCtrl+O', click: () => actions.openStateFolder() },
        { label: 'Open etcd Cluster…', accelerator: 'CmdOrCtrl+Shift+O', click: () => actions.openEtcdCluster() },
        {
          label: 'Open Recent',
          submenu: recent.length
            ? [
                ...recent.map((entry): MenuItemConstructorOptions => ({
                  label: recentLabel(entry),
                  click: () => actions.openRecent(entry),
                })),
                { type: 'separator' },
                { label: 'Clear Recent', click: () => actions.clearRecent() },
              ]
            : [{ label: 'No Recent Folders or Clusters', enabled: false }],
        },
        { type: 'separator' },
        { label: 'Reload', accelerator: 'CmdOrCtrl+R', click: () => actions.reload() },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { label: 'Theme', submenu: [themeItem('System', 'system'), themeItem('Light', 'light'), themeItem('Dark', 'dark')] },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { role: 'togglefullscreen' },
        ...(devTools ? [{ type: 'separator' as const }, { role: 'toggleDevTools' as const }] : []),
      ],
    },
    {
      label: 'Help',
      submenu: [
        { label: 'Lockstep Documentation', click: () => actions.openDocs() },
        { label: 'About Lockstep', click: () => actions.about() },
      ],
    },
  ];
}
