// File › Open etcd Cluster…: a small modal window asking for the endpoints
// and the namespace. Electron has no text prompt, and this one needs neither
// a preload nor IPC: the page is a plain HTML form with JavaScript disabled.
// Submitting it asks to navigate to SUBMIT_URL?endpoints=…&namespace=…; that
// navigation is always prevented (lockDownContents denies it too), and the
// shell reads the values from the URL it was refused.
import type * as Electron from 'electron';
import { checkNamespace, DEFAULT_NAMESPACE, parseEndpoints } from '../cli/store-target.ts';

/** Never loaded: `.invalid` cannot resolve (RFC 2606), and the navigation is prevented. */
export const SUBMIT_URL = 'https://lockstep.invalid/open-etcd';
export const CANCEL_URL = 'https://lockstep.invalid/cancel';

export interface EtcdChoice {
  endpoints: string[];
  namespace: string;
}

interface FormValues {
  endpoints: string;
  namespace: string;
  error?: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The dialog's page, as a data: URL: no script, styles inline, the form may only go to SUBMIT_URL/CANCEL_URL. */
export function dialogUrl(values: FormValues): string {
  const csp = `default-src 'none'; style-src 'unsafe-inline'; form-action https://lockstep.invalid`;
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${csp}">
<title>Open etcd Cluster</title>
<style>
  :root { color-scheme: light dark; font: 13px system-ui, sans-serif; }
  body { margin: 16px; }
  label { display: block; margin: 0 0 12px; }
  input { display: block; box-sizing: border-box; width: 100%; margin-top: 4px; padding: 5px 6px; font: inherit; }
  .hint { opacity: .7; font-size: 12px; }
  .error { color: #d33; margin: 0 0 12px; }
  .buttons { display: flex; justify-content: flex-end; gap: 8px; }
  button { font: inherit; padding: 4px 14px; }
</style></head>
<body>
<form method="get" action="${SUBMIT_URL}">
  ${values.error ? `<p class="error" role="alert">${escapeHtml(values.error)}</p>` : ''}
  <label>Endpoints <span class="hint">(comma-separated client URLs)</span>
    <input name="endpoints" required autofocus placeholder="http://127.0.0.1:2379" value="${escapeHtml(values.endpoints)}"></label>
  <label>Namespace
    <input name="namespace" required value="${escapeHtml(values.namespace)}"></label>
  <div class="buttons">
    <button type="submit" formaction="${CANCEL_URL}" formnovalidate>Cancel</button>
    <button type="submit">Open</button>
  </div>
</form>
</body></html>`;
  return `data:text/html;charset=utf-8,${encodeURIComponent(html)}`;
}

/**
 * What a refused navigation of the dialog means: null for anything that is
 * not our form (ignored), 'cancel', a valid choice, or the values again with
 * the reason they were refused.
 */
export function readSubmission(url: string): null | 'cancel' | { choice: EtcdChoice } | { retry: FormValues } {
  if (url.startsWith(CANCEL_URL)) return 'cancel';
  if (!url.startsWith(`${SUBMIT_URL}?`)) return null;
  const params = new URL(url).searchParams;
  const endpoints = params.get('endpoints') ?? '';
  const namespace = (params.get('namespace') ?? '').trim() || DEFAULT_NAMESPACE;
  try {
    return { choice: { endpoints: parseEndpoints(endpoints), namespace: checkNamespace(namespace) } };
  } catch (err) {
    return { retry: { endpoints, namespace, error: (err as Error).message } };
  }
}

/** Show the dialog over `parent`; resolves with the choice, or null when cancelled or closed. */
export function askForEtcdCluster(
  electron: Pick<typeof Electron, 'BrowserWindow'>,
  parent: Electron.BrowserWindow,
  initial?: EtcdChoice,
): Promise<EtcdChoice | null> {
  const dialog = new electron.BrowserWindow({
    parent,
    modal: true,
    width: 460,
    height: 250,
    resizable: false,
    minimizable: false,
    maximizable: false,
    fullscreenable: false,
    title: 'Open etcd Cluster',
    webPreferences: {
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      javascript: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  dialog.setMenu?.(null);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (choice: EtcdChoice | null) => {
      if (settled) return;
      settled = true;
      resolve(choice);
      if (!dialog.isDestroyed()) dialog.close();
    };
    dialog.on('closed', () => finish(null));
    dialog.webContents.on('will-navigate', (event, url) => {
      event.preventDefault();
      const answer = readSubmission(url);
      if (answer === null) return;
      if (answer === 'cancel') finish(null);
      else if ('choice' in answer) finish(answer.choice);
      else void dialog.loadURL(dialogUrl(answer.retry));
    });
    void dialog.loadURL(dialogUrl({ endpoints: initial?.endpoints.join(',') ?? '', namespace: initial?.namespace ?? DEFAULT_NAMESPACE }));
  });
}
