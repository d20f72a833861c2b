import { test, expect, Editor, join, turnOnEditing, type ConsoleGuard } from './fixtures';
import type { Browser, BrowserContext, Page } from '@playwright/test';

/** Another person: a browser context of their own (own local storage), whose WebSocket to
 * the live endpoint the test can cut (`offline`) and restore. */
class Person {
  offline = false;
  /** Every WebSocket refused, as by a proxy that blocks them. */
  blockSockets = false;
  sockets: import('@playwright/test').WebSocketRoute[] = [];
  constructor(readonly context: BrowserContext, readonly page: Page, readonly editor: Editor) {}

  static async open(browser: Browser, guard: ConsoleGuard, who: string): Promise<Person> {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') guard.problems.push(`${who} ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => guard.problems.push(`${who} pageerror: ${e.message}`));
    const person = new Person(context, page, new Editor(page));
    await context.routeWebSocket(/\/api\/live\//, (ws) => {
      if (person.blockSockets) ws.close();
      else if (person.offline) ws.close({ code: 4000, reason: 'offline' });
      else {
        ws.connectToServer();
        person.sockets.push(ws);
      }
    });
    // "Offline" cuts the fallback (Server-Sent Events + POST) too, which the page turns to
    // once WebSockets keep failing while the browser says it is online.
    await context.route(/\/api\/live\/[^/]+\/(events|send)$/, (route) =>
      person.offline ? route.abort('internetdisconnected') : route.continue());
    return person;
  }

  /** Cuts the connection: the open socket closes, new ones fail, until `goOnline`. */
  async goOffline() {
    this.offline = true;
    await this.context.setOffline(true);
    for (const ws of this.sockets.splice(0)) await ws.close({ code: 4000, reason: 'offline' });
    await expect(this.editor.saveIndicator()).toContainText('Offline', { timeout: 15_000 });
  }

  async goOnline() {
    this.offline = false;
    await this.context.setOffline(false);
    // The browser's own "online" event: the app reconnects at once.
    await this.page.evaluate(() => window.dispatchEvent(new Event('online')));
  }
}


test.describe('editing together', () => {
  test.describe.configure({ timeout: 90_000 });

  test('two people edit one plan live, offline and back, and the owner can end it', async ({ editor, browser, consoleGuard }) => {
    await editor.goto();
    await editor.page.getByLabel('Plan title').fill('Team sync plan');
    await editor.set(1, 'owner', 'Before sharing');
    const [url, viewUrl] = await turnOnEditing(editor);
    await expect(editor.saveIndicator()).toHaveText('Synced');
    await expect(editor.page.getByTestId('live-bar')).toContainText('Only you are here');
    await editor.page.getByLabel('Your name').fill('Olga');
    await editor.page.getByLabel('Your name').press('Enter');

    // B opens the edit link: a welcome names the plan and its owner and asks B's name; the
    // plan joins B's own workspace, the secret leaves the address.
    const b = await Person.open(browser, consoleGuard, 'B');
    await join(b.page, url, 'Bo', 'Team sync plan', 'Olga');
    await expect(b.page.getByRole('heading', { level: 1 })).toHaveText('Team sync plan');
    await expect(b.page.getByTestId('live-bar')).toContainText('Olga (owner)');
    await expect(editor.page.getByTestId('live-bar')).toContainText('Bo');
    await expect(b.page.getByLabel('Plan title')).toHaveValue('Team sync plan');
    await expect(b.editor.text(1, 'owner')).toHaveText('Before sharing');
    expect(new URL(b.page.url()).hash).toBe('');
    await expect(b.editor.saveIndicator()).toHaveText('Synced');

    // A viewer of the read-only link follows along too.
    const v = await Person.open(browser, consoleGuard, 'viewer');
    await v.page.goto(viewUrl);
    await v.editor.ready();
    await expect(v.page.getByText('updates live')).toBeVisible();
    await expect(v.editor.text(1, 'owner')).toHaveText('Before sharing');

    // Live, cell by cell.
    await editor.set(2, 'owner', 'Ana');
    await expect(b.editor.text(2, 'owner')).toHaveText('Ana');
    await expect(v.editor.text(2, 'owner')).toHaveText('Ana');
    await editor.page.getByLabel('Plan title').fill('Team sync plan v2');
    await expect(v.page.getByRole('heading', { level: 1 })).toHaveText('Team sync plan v2');
    // Viewers see when it last changed, not who changed what.
    await expect(v.page.getByTestId('updated')).toHaveText(/ \((just now|\d+ s ago)\)$/);
    await expect(v.page.getByRole('button', { name: 'History', exact: true })).toHaveCount(0);
    await expect(editor.page.getByTestId('live-bar')).toContainText('(viewing)');
    await v.context.close();
    await b.editor.set(3, 'item', 'Added by B');
    await expect(editor.text(3, 'item')).toHaveText('Added by B');

    // Typing in a cell is not disturbed by someone else's edit in the same row.
    await b.editor.cell(7, 'notes').click();
    await b.page.keyboard.press('F2');
    await b.editor.editorBox().fill('B is still typing');
    await editor.set(7, 'owner', 'A meanwhile');
    await expect(b.editor.text(7, 'owner')).toHaveText('A meanwhile');
    await expect(b.editor.editorBox()).toHaveValue('B is still typing');
    await expect(b.editor.editorBox()).toBeFocused();
    await b.page.keyboard.type(' and done');
    await b.page.keyboard.press('Enter');
    await expect(editor.text(7, 'notes')).toHaveText('B is still typing and done');

    // Presence: B names themself and is outlined where they are.
    await b.page.getByLabel('Your name').fill('Bo');
    await b.page.getByLabel('Your name').press('Enter');
    await b.editor.cell(4, 'category').click();
    await expect(editor.page.getByTestId('live-bar')).toContainText('Bo');
    await expect(editor.row(4)).toHaveAttribute('data-peer-category', 'Bo');
    // Where: the bar says the row and column; the outline is on that cell only, in Bo's colour.
    const bo = editor.page.getByTestId('live-bar').locator('.peer', { hasText: 'Bo' });
    await expect(bo).toContainText('row 4, Category');
    const colour = await bo.locator('.peer-dot').evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(colour).toMatch(/^rgb\(/);
    await expect(editor.cell(4, 'category')).toHaveCSS('box-shadow', new RegExp(`^${colour.replace(/[()]/g, '\\$&')} 0px 0px 0px 2px inset$`));
    for (const other of ['item', 'priority', 'owner', 'status', 'notes']) {
      await expect(editor.cell(4, other)).toHaveCSS('box-shadow', 'none');
    }
    await expect(editor.cell(5, 'category')).toHaveCSS('box-shadow', 'none');

    // B goes offline; both edit the same row (different cells) and the same Notes cell.
    await b.goOffline();
    await b.editor.set(5, 'owner', 'Bo offline');
    await b.editor.set(6, 'notes', 'Notes from B');
    await editor.set(5, 'item', 'A renamed row 5');
    await editor.set(6, 'notes', 'Notes from A');
    await expect(b.editor.saveIndicator()).toContainText('2 changes waiting to sync');

    // B's queue survives a reload while the connection is still cut.
    await b.context.setOffline(false);
    await b.editor.reload();
    await expect(b.editor.text(5, 'owner')).toHaveText('Bo offline');
    await expect(b.editor.saveIndicator()).toContainText('2 changes waiting to sync');

    // Back online: both converge, both cells of row 5 kept, Notes show both versions.
    await b.goOnline();
    await expect(b.editor.saveIndicator()).toHaveText('Synced', { timeout: 15_000 });
    for (const person of [editor, b.editor]) {
      await expect(person.text(5, 'owner')).toHaveText('Bo offline');
      await expect(person.text(5, 'item')).toHaveText('A renamed row 5');
      await expect(person.cell(6, 'notes')).toContainText('2 versions');
    }
    const notesA = await editor.text(6, 'notes').innerText();
    const notesB = await b.editor.text(6, 'notes').innerText();
    expect(notesA).toBe(notesB);
    // B keeps their version; both see it, and the versions are gone.
    await b.editor.cell(6, 'notes').getByRole('button', { name: '2 versions' }).click();
    const versions = b.page.getByRole('dialog', { name: /Notes of row 6/ });
    await expect(versions).toContainText('Notes from A');
    await versions.locator('li', { hasText: 'Notes from B' }).getByRole('button').click();
    for (const person of [editor, b.editor]) {
      await expect(person.text(6, 'notes')).toHaveText('Notes from B');
    }

    // The owner turns editing off: B keeps the plan as a private copy and is told.
    await editor.page.getByRole('button', { name: 'Shared ✓' }).click();
    const dialog = editor.page.getByRole('dialog', { name: 'Share', exact: true });
    await dialog.getByRole('button', { name: 'Turn editing off' }).click();
    await dialog.getByRole('button', { name: 'Yes, turn editing off' }).click();
    await expect(dialog.getByRole('button', { name: 'Turn on editing' })).toBeVisible();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(b.page.getByRole('alert')).toContainText('turned off editing', { timeout: 5_000 });
    await expect(b.page.getByTestId('live-bar')).toHaveCount(0);
    await expect(b.editor.text(5, 'owner')).toHaveText('Bo offline');
    await b.editor.set(7, 'owner', 'Still mine');
    await expect(b.editor.saveIndicator()).toContainText('Saved in this browser');
    await b.context.close();
  });

  test('changes made offline that lost to newer ones are named, with the cell’s history a click away', async ({ editor, browser, consoleGuard }) => {
    await editor.goto();
    const [url] = await turnOnEditing(editor);
    await editor.page.getByLabel('Your name').fill('Olga');
    await editor.page.getByLabel('Your name').press('Enter');
    const b = await Person.open(browser, consoleGuard, 'B');
    await join(b.page, url, 'Bo');
    const item2 = await editor.text(2, 'item').textContent();
    const item3 = await editor.text(3, 'item').textContent();

    // Bo, offline, changes two cells; Olga, later, changes one of them and deletes the
    // other's row.
    await b.goOffline();
    await b.editor.set(2, 'status', 'Blocked');
    await b.editor.set(3, 'owner', 'Bo offline');
    await editor.set(2, 'status', 'Done');
    await editor.cell(3, 'item').click();
    await editor.page.getByRole('button', { name: 'Delete row' }).click();
    await expect(editor.text(3, 'item')).not.toHaveText(item3!);

    // Back online, Bo is told what lost, to what and to whom: not just "Synced".
    await b.goOnline();
    await expect(b.editor.saveIndicator()).toHaveText('Synced', { timeout: 15_000 });
    const notice = b.page.locator('.notice');
    await expect(notice).toContainText(
      `2 of your changes were overridden by newer ones made meanwhile: row 2 “${item2}” Status → “Blocked”: now “Done”, by Olga; “${item3}” Owner → “Bo offline”: the row was deleted by Olga.`,
    );
    await expect(b.editor.cell(2, 'status')).toContainText('Done');
    await notice.screenshot({ path: test.info().outputPath('overridden.png') });
    await notice.getByRole('button', { name: 'Show edit history' }).click();
    const history = b.page.getByRole('dialog', { name: 'Status, row 2: edit history' });
    await expect(history).toContainText('Blocked');
    await expect(history).toContainText('Done');
    // Olga, whose changes won, is told nothing.
    await expect(editor.page.locator('.notice')).toHaveCount(0);
    await b.context.close();
  });

  test('where WebSockets are blocked, the same edits flow over the fallback', async ({ editor, browser, consoleGuard }) => {
    await editor.goto();
    await editor.page.getByLabel('Plan title').fill('Behind a strict proxy');
    const [url] = await turnOnEditing(editor);
    await expect(editor.saveIndicator()).toHaveText('Synced');

    const b = await Person.open(browser, consoleGuard, 'B');
    b.blockSockets = true;
    await join(b.page, url, 'Bo');
    await expect(b.page.getByLabel('Plan title')).toHaveValue('Behind a strict proxy', { timeout: 15_000 });
    await expect(b.editor.saveIndicator()).toHaveText('Synced');
    await editor.set(1, 'owner', 'From A');
    await expect(b.editor.text(1, 'owner')).toHaveText('From A');
    await b.editor.set(2, 'owner', 'From B');
    await expect(editor.text(2, 'owner')).toHaveText('From B');
    await expect(b.editor.saveIndicator()).toHaveText('Synced');

    // Turning editing off reaches the fallback too: B is told and keeps a private copy.
    await editor.page.getByRole('button', { name: 'Shared ✓' }).click();
    const dialog = editor.page.getByRole('dialog', { name: 'Share', exact: true });
    await dialog.getByRole('button', { name: 'Turn editing off' }).click();
    await dialog.getByRole('button', { name: 'Yes, turn editing off' }).click();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(b.page.getByRole('alert')).toContainText('turned off editing', { timeout: 5_000 });
    await expect(b.editor.text(2, 'owner')).toHaveText('From B');
    await b.context.close();
  });
});
