// The native menu, as a template built from plain actions so its structure
// can be tested without Electron.
import type { MenuItemConstructorOptions } from 'electron';

export type ThemeSource = 'system' | 'light' | 'dark';

export interface MenuActions {
  openStateFolder(): void;
  openRecent(root: string): void;
  clearRecent(): void;
  reload(): void;
  setTheme(theme: ThemeSource): void;
  openDocs(): void;
  about(): void;
}

export function buildMenuTemplate(actions: MenuActions, recent: string[], theme: ThemeSource, isMac: boolean, devTools: boolean): MenuItemConstructorOptions[] {
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
        {
          label: 'Open Recent',
          submenu: recent.length
            ? [
                ...recent.map((root): MenuItemConstructorOptions => ({ label: root, click: () => actions.openRecent(root) })),
                { type: 'separator' },
                { label: 'Clear Recent', click: () => actions.clearRecent() },
              ]
            : [{ label: 'No Recent Folders', enabled: false }],
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
