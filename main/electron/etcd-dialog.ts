// File › Open etcd Cluster…: a small modal window asking for the endpoints,
// the namespace, the TLS files and the user. Electron has no text prompt,
// and this one needs neither a preload nor IPC: the page is a plain HTML form
// with JavaScript disabled. Submitting it asks to navigate to one of the
// `.invalid` URLs below with the fields in the query; that navigation is
// always prevented (lockDownContents denies it too), and the shell reads the
// fields from the URL it refused, through a zod schema. Only this window's
// own main frame is listened to: nothing else can submit it.
//
// The password crosses once, in the refused URL, and is kept in this
// module's memory: a page shown again (a file picked, a refusal, a failed
// connection) never contains it, and an empty password field then means
// "the one typed before".
import type * as Electron from 'electron';
import { z } from 'zod';
import { checkEtcdForm, etcdFormSchema, formOf, TLS_FIELDS, TLS_LABELS, type EtcdForm, type TlsField } from './etcd-form.ts';
import type { EtcdPlace } from './place.ts';
import type { RecentCluster } from './recent.ts';

/** Never loaded: `.invalid` cannot resolve (RFC 2606), and the navigation is prevented. */
export const SUBMIT_URL = 'https://lockstep.invalid/open-etcd';
export const CANCEL_URL = 'https://lockstep.invalid/cancel';
export const PICK_URL = 'https://lockstep.invalid/pick';

export interface DialogPage {
  form: EtcdForm;
  /** Why the last submission was refused, or the engine's error when connecting failed. */
  error?: string;
  /** What the dialog asks for, e.g. the password of a user opened from Open Recent. */
  notice?: string;
  /** A password typed earlier for form.user is held by the shell: an empty field keeps it. */
  passwordKept?: boolean;
  /** The cluster is being opened: the form is shown disabled. */
  connecting?: boolean;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The dialog's page, as a data: URL: no script, styles inline, the form may only go to lockstep.invalid. */
export function dialogUrl(page: DialogPage): string {
  const { form } = page;
  const csp = `default-src 'none'; style-src 'unsafe-inline'; form-action https://lockstep.invalid`;
  const value = (name: keyof EtcdForm) => `value="${escapeHtml(form[name])}"`;
  // The password field gets the focus when it is what the dialog asks for.
  const askPassword = Boolean(form.user) && !page.passwordKept;
  const focus = (name: keyof EtcdForm) => ((name === 'password') === askPassword ? 'autofocus' : '');
  const fileRow = (f: TlsField) => `
    <div class="file"><label>${TLS_LABELS[f]}
      <input name="${f}" ${value(f)} placeholder="/path/to/${f === 'key' ? 'client.key' : f === 'ca' ? 'ca.pem' : 'client.pem'}" spellcheck="false"></label>
      <button type="submit" formaction="${PICK_URL}" formnovalidate name="pick" value="${f}">Choose…</button></div>`;
  const message = page.error
    ? `<p class="error" role="alert">${escapeHtml(page.error)}</p>`
    : page.notice
      ? `<p class="notice" role="status">${escapeHtml(page.notice)}</p>`
      : page.connecting
        ? `<p class="notice" role="status">Connecting…</p>`
        : '';
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${csp}">
<title>Open etcd Cluster</title>
<style>
  :root { color-scheme: light dark; font: 13px system-ui, sans-serif; }
  body { margin: 16px; }
  form, form > fieldset { display: flex; flex-direction: column; }
  fieldset { border: 0; padding: 0; margin: 0; min-width: 0; }
  fieldset fieldset { margin: 4px 0 8px; }
  legend { font-weight: 600; padding: 0; margin-bottom: 6px; }
  label { display: block; margin: 0 0 8px; flex: 1; }
  input { display: block; box-sizing: border-box; width: 100%; margin-top: 4px; padding: 5px 6px; font: inherit; }
  .file { display: flex; gap: 8px; align-items: flex-end; }
  .file button { margin-bottom: 8px; }
  .hint { opacity: .7; font-size: 12px; font-weight: normal; }
  .error { color: #d33; margin: 0 0 12px; }
  .notice { margin: 0 0 12px; }
  /* Open comes first in the page, so Enter in any field opens; it is shown last. */
  .buttons { order: 1; display: flex; flex-direction: row-reverse; gap: 8px; }
  button { font: inherit; padding: 4px 14px; }
</style></head>
<body>
<form method="get" action="${SUBMIT_URL}">
<fieldset${page.connecting ? ' disabled' : ''}>
  <div class="buttons">
    <button type="submit">Open</button>
    <button type="submit" formaction="${CANCEL_URL}" formnovalidate>Cancel</button>
  </div>
  ${message}
  <label>Endpoints <span class="hint">(comma-separated client URLs)</span>
    <input name="endpoints" required ${focus('endpoints')} placeholder="https://10.0.0.5:2379" ${value('endpoints')} spellcheck="false"></label>
  <label>Namespace
    <input name="namespace" required ${value('namespace')} spellcheck="false"></label>
  <fieldset><legend>TLS <span class="hint">(optional: PEM files; https:// without a CA certificate is checked against the system's CAs)</span></legend>
    ${TLS_FIELDS.map(fileRow).join('')}
  </fieldset>
  <fieldset><legend>User <span class="hint">(optional: when the cluster has authentication on)</span></legend>
    <label>User name
      <input name="user" autocomplete="username" ${value('user')} spellcheck="false"></label>
    <label>Password
      <input name="password" type="password" autocomplete="current-password" ${focus('password')}${
        page.passwordKept ? ' placeholder="(entered: leave empty to keep it)"' : ''
      }></label>
    <p class="hint" style="margin: 0 0 12px">Open Recent keeps the password only encrypted by the system's keychain; where there is none, it asks again.</p>
  </fieldset>
</fieldset>
</form>
</body></html>`;
  return `data:text/html;charset=utf-8,${encodeURIComponent(html)}`;
}

const submission = z.discriminatedUnion('action', [
  z.object({ action: z.literal('cancel') }),
  z.object({ action: z.literal('pick'), pick: z.enum(TLS_FIELDS), form: etcdFormSchema }),
  z.object({ action: z.literal('submit'), form: etcdFormSchema }),
]);
export type Submission = z.infer<typeof submission>;

/** What a refused navigation of the dialog means: null for anything that is not our form (ignored). */
export function readSubmission(url: string): Submission | null {
  const action = url.startsWith(CANCEL_URL)
    ? 'cancel'
    : url.startsWith(`${PICK_URL}?`)
      ? 'pick'
      : url.startsWith(`${SUBMIT_URL}?`)
        ? 'submit'
        : null;
  if (action === null) return null;
  const params = action === 'cancel' ? new URLSearchParams() : new URL(url).searchParams;
  const form = Object.fromEntries(Object.keys(etcdFormSchema.shape).flatMap((k) => (params.has(k) ? [[k, params.get(k)]] : [])));
  const parsed = submission.safeParse({ action, pick: params.get('pick') ?? undefined, form });
  return parsed.success ? parsed.data : null;
}

export interface AskOptions {
  /** The fields to start with: the last cluster opened, or the Open Recent entry being opened. */
  initial?: RecentCluster | EtcdPlace;
  /** A password the shell already holds for initial.username (unsealed from Open Recent). */
  password?: string;
  notice?: string;
  error?: string;
  /**
   * Open the cluster; its rejection's message (the engine's error) is shown in the dialog.
   * `cancelled` is aborted when the user closes the dialog while it connects: the attempt must then change nothing.
   */
  open(place: EtcdPlace, cancelled: AbortSignal): Promise<void>;
}

/** Show the dialog over `parent`; resolves with the cluster once it opened, or null when cancelled or closed. */
export function askForEtcdCluster(
  electron: Pick<typeof Electron, 'BrowserWindow' | 'dialog'>,
  parent: Electron.BrowserWindow,
  options: AskOptions,
): Promise<EtcdPlace | null> {
  const dialog = new electron.BrowserWindow({
    parent,
    modal: true,
    // The page's size, without the title bar: the whole form fits, buttons included.
    useContentSize: true,
    width: 520,
    height: 640,
    resizable: true,
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
  let kept = options.initial?.username && options.password ? { username: options.initial.username, password: options.password } : undefined;
  let busy = false;
  const show = (page: Omit<DialogPage, 'passwordKept'>) => {
    if (dialog.isDestroyed()) return;
    const passwordKept = Boolean(kept && page.form.user.trim() === kept.username);
    void dialog.loadURL(dialogUrl({ ...page, form: { ...page.form, password: '' }, passwordKept }));
  };
  /** A password typed into a form that is shown again is held here, not in the page. */
  const keepTyped = (form: EtcdForm) => {
    if (form.password && form.user.trim()) kept = { username: form.user.trim(), password: form.password };
  };

  return new Promise((resolve) => {
    let settled = false;
    const closing = new AbortController();
    const finish = (place: EtcdPlace | null) => {
      if (settled) return;
      settled = true;
      resolve(place);
      if (!dialog.isDestroyed()) dialog.close();
    };
    dialog.on('closed', () => {
      closing.abort();
      finish(null);
    });

    const pick = async (field: TlsField, form: EtcdForm) => {
      const result = await electron.dialog.showOpenDialog(dialog, {
        title: `Choose the ${TLS_LABELS[field].toLowerCase()} (PEM)`,
        properties: ['openFile', 'showHiddenFiles'],
        filters: [
          { name: 'PEM files', extensions: ['pem', 'crt', 'cer', 'key'] },
          { name: 'All files', extensions: ['*'] },
        ],
      });
      const path = result.canceled ? undefined : result.filePaths[0];
      show({ form: path ? { ...form, [field]: path } : form });
    };

    const submit = async (form: EtcdForm) => {
      let place: EtcdPlace;
      try {
        place = checkEtcdForm(form, kept);
      } catch (err) {
        return show({ form, error: (err as Error).message });
      }
      // Closing the window now cancels the attempt: whatever it opened is put back (see AskOptions.open).
      busy = true;
      show({ form, connecting: true });
      try {
        await options.open(place, closing.signal);
        finish(place);
      } catch (err) {
        show({ form, error: (err as Error).message });
      } finally {
        busy = false;
      }
    };

    dialog.webContents.on('will-navigate', (event, url) => {
      event.preventDefault();
      // A form can only be submitted by this page's main frame (it has no frames: CSP default-src 'none').
      if (event.isMainFrame === false || busy) return;
      const answer = readSubmission(url);
      if (answer === null) return;
      if (answer.action === 'cancel') return finish(null);
      keepTyped(answer.form);
      if (answer.action === 'pick') void pick(answer.pick, answer.form);
      else void submit(answer.form);
    });
    show({
      form: formOf(options.initial),
      ...(options.error !== undefined && { error: options.error }),
      ...(options.notice !== undefined && { notice: options.notice }),
    });
  });
}
