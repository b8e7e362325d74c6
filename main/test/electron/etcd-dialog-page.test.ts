// The Open etcd Cluster page in a real Chromium (the system's, through
// playwright-core), with JavaScript off as in the app: what a user's clicks
// and keys submit is what the shell reads. Enter in a field opens, Choose…
// asks for that one file, Cancel cancels, and the typed values (the password
// included) arrive in the refused navigation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { dialogUrl, readSubmission, type Submission } from '../../electron/etcd-dialog.ts';
import { formOf } from '../../electron/etcd-form.ts';

let browser: Browser;
let context: BrowserContext;
let tab: Page | undefined;
/** Form submissions Chromium tried to send (aborted, as the shell prevents them), and the tests waiting for one. */
const sent: string[] = [];
const waiting: ((url: string) => void)[] = [];

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
  context = await browser.newContext({ javaScriptEnabled: false });
  await context.route('https://lockstep.invalid/**', async (route) => {
    const url = route.request().url();
    const resolve = waiting.shift();
    if (resolve) resolve(url);
    else sent.push(url);
    await route.abort();
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

/**
 * The page in a new tab: a refused submission leaves the page as it was in
 * Electron, while Chromium alone goes on to an error page.
 */
async function show(url: string): Promise<Page> {
  await tab?.close();
  tab = await context.newPage();
  await tab.goto(url);
  return tab;
}

const nextSubmission = async (): Promise<Submission | null> =>
  readSubmission(sent.shift() ?? (await new Promise<string>((resolve) => waiting.push(resolve))));

describe('the dialog page in Chromium, JavaScript off', () => {
  const filled = dialogUrl({ form: { ...formOf(), endpoints: 'https://10.0.0.5:2379', ca: '/certs/ca.pem', user: 'agent' } });

  it('Enter in a field submits Open with every field, the password included', async () => {
    const page = await show(dialogUrl({ form: formOf() }));
    await page.getByLabel('Endpoints').fill('https://10.0.0.5:2379');
    await page.getByLabel('CA certificate').fill('/certs/ca.pem');
    await page.getByLabel('User name').fill('agent');
    await page.getByLabel('Password').fill('hunter2');
    await page.getByLabel('Password').press('Enter');
    expect(await nextSubmission()).toEqual({
      action: 'submit',
      form: {
        endpoints: 'https://10.0.0.5:2379',
        namespace: 'lockstep',
        ca: '/certs/ca.pem',
        cert: '',
        key: '',
        user: 'agent',
        password: 'hunter2',
      },
    });
  }, 60_000);

  it("Choose… names its own file; it and Cancel skip the form's required fields", async () => {
    const page = await show(filled);
    await page.getByRole('button', { name: 'Choose…' }).nth(2).click();
    expect(await nextSubmission()).toMatchObject({ action: 'pick', pick: 'key', form: { ca: '/certs/ca.pem', user: 'agent' } });

    const empty = await show(filled);
    await empty.getByLabel('Endpoints').fill('');
    await empty.getByRole('button', { name: 'Choose…' }).first().click();
    expect(await nextSubmission()).toMatchObject({ action: 'pick', pick: 'ca', form: { endpoints: '' } });

    const cancel = await show(filled);
    await cancel.getByLabel('Endpoints').fill('');
    await cancel.getByRole('button', { name: 'Cancel' }).click();
    expect(await nextSubmission()).toEqual({ action: 'cancel' });
  }, 60_000);

  it('asking for a password, typing goes to the password field; while connecting, the form is disabled', async () => {
    const asking = await show(
      dialogUrl({
        form: { ...formOf(), endpoints: 'https://h:2379', user: 'agent' },
        notice: 'Enter the password of the etcd user "agent".',
      }),
    );
    // Typing without clicking anywhere lands in the focused field.
    await asking.keyboard.type('typed-into-focus');
    await asking.keyboard.press('Enter');
    expect(await nextSubmission()).toMatchObject({ action: 'submit', form: { user: 'agent', password: 'typed-into-focus' } });

    const connecting = await show(dialogUrl({ form: { ...formOf(), endpoints: 'https://h:2379' }, connecting: true }));
    expect(await connecting.getByRole('button', { name: 'Open' }).isDisabled()).toBe(true);
    expect(await connecting.getByRole('button', { name: 'Cancel' }).isDisabled()).toBe(true);
    expect(await connecting.getByLabel('Endpoints').isDisabled()).toBe(true);
  }, 60_000);
});
