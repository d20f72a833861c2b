import { test, expect, Editor, join, turnOnEditing, type ConsoleGuard } from './fixtures';
import type { Browser, Page } from '@playwright/test';

/** Olga opens the editor, turns on editing together and gives her name: the edit link. */
async function shareAsOlga(editor: Editor): Promise<string> {
  await editor.goto();
  const [url] = await turnOnEditing(editor);
  await editor.page.getByLabel('Your name').fill('Olga');
  await editor.page.getByLabel('Your name').press('Enter');
  await expect(editor.saveIndicator()).toHaveText('Synced');
  return url;
}

/** Page errors of Bo's pages fail the test. */
function watchBo(page: Page, guard: ConsoleGuard) {
  page.on('pageerror', (e) => guard.problems.push(`B pageerror: ${e.message}`));
}

/** Bo, in a browser of his own, joins through the edit link `url`. */
async function joinAsBo(browser: Browser, guard: ConsoleGuard, url: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  watchBo(page, guard);
  await join(page, url, 'Bo');
  return { context, page, b: new Editor(page) };
}

test.describe('history', () => {
  test.describe.configure({ timeout: 90_000 });

  test('a cell’s edit history says who wrote each value and when, and restores one', async ({ editor, browser, consoleGuard }) => {
    const url = await shareAsOlga(editor);
    await editor.set(1, 'owner', 'Olga’s pick');
    await expect(editor.saveIndicator()).toHaveText('Synced');

    const { context, page, b } = await joinAsBo(browser, consoleGuard, url);
    await b.set(1, 'owner', 'Bo’s pick');
    await expect(editor.text(1, 'owner')).toHaveText('Bo’s pick');

    // From the cell's own menu (right click).
    await editor.cell(1, 'owner').click({ button: 'right' });
    await editor.page.getByRole('menuitem', { name: /Show edit history/ }).click();
    const dialog = editor.page.getByRole('dialog', { name: 'Owner, row 1: edit history' });
    await expect(dialog).toBeVisible();
    const entries = dialog.getByTestId('cell-history').locator('li');
    await expect(entries.nth(0)).toContainText('Bo’s pick');
    await expect(entries.nth(0)).toContainText('Bo');
    await expect(entries.nth(0)).toContainText('The cell holds this value now.');
    await expect(entries.nth(1)).toContainText('Olga’s pick');
    await expect(entries.nth(1)).toContainText('Olga');
    // When: the local time, also in full on hover.
    await expect(entries.nth(1).locator('time')).toContainText(/^(today|yesterday) \d{2}:\d{2}$/);
    await expect(entries.nth(1).locator('time')).toHaveAttribute('title', /\d{1,2}:\d{2}/);

    // Restoring is an edit like any other: everyone sees it, and it can be undone.
    await entries.nth(1).getByRole('button', { name: 'Restore this value' }).click();
    await expect(dialog).toBeHidden();
    await expect(editor.text(1, 'owner')).toHaveText('Olga’s pick');
    await expect(b.text(1, 'owner')).toHaveText('Olga’s pick');

    // From the keyboard, on the active cell: the restore is the newest entry now.
    await editor.cell(1, 'owner').click();
    await editor.page.keyboard.press('Control+Alt+KeyH');
    await expect(dialog).toBeVisible();
    await expect(entries.nth(0)).toContainText('Olga’s pick');
    await expect(entries.nth(0)).toContainText('The cell holds this value now.');
    // Oldest: the cell as it was when editing together was turned on, before Olga gave
    // her name (the name her page gave later stands in for it).
    await expect(entries).toHaveCount(4);
    await expect(entries.nth(3)).toContainText('(empty)');
    await expect(entries.nth(3)).toContainText('Olga');
    await editor.page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(editor.cell(1, 'owner')).toBeFocused();
    await editor.page.keyboard.press('Control+z');
    await expect(b.text(1, 'owner')).toHaveText('Bo’s pick');
    await context.close();
  });

  test('a plan kept in this browser keeps its own history: listed, restored, named, across a reload', async ({ editor }) => {
    await editor.goto();
    const first = await editor.text(1, 'item').textContent();
    const third = await editor.text(3, 'item').textContent();
    await editor.set(1, 'status', 'Done');
    await editor.set(2, 'owner', 'Ana');
    await editor.row(3).locator('td[data-col="item"]').click();
    await editor.button('Delete row').click();
    await expect(editor.text(3, 'item')).not.toHaveText(third!);
    await editor.set(1, 'item', 'Renamed by mistake');
    await expect(editor.saveIndicator()).toContainText('Saved');
    await editor.reload();

    // The cell's own history: what this browser wrote, newest first.
    await editor.cell(1, 'item').click();
    await editor.page.keyboard.press('Control+Alt+KeyH');
    const cellDialog = editor.page.getByRole('dialog', { name: 'Item, row 1: edit history' });
    const values = cellDialog.getByTestId('cell-history').locator('li');
    await expect(values).toHaveCount(2);
    await expect(values.first()).toContainText('Renamed by mistake');
    await expect(values.first()).toContainText('You');
    // The value it had when the history began can be restored from here.
    await expect(values.nth(1)).toContainText(first!);
    await cellDialog.getByRole('button', { name: 'Close' }).click();

    await editor.page.keyboard.press('Control+Alt+Shift+KeyH');
    const dialog = editor.page.getByRole('dialog', { name: 'Plan history' });
    await expect(dialog).toContainText('kept in this browser only');
    const sessions = dialog.getByTestId('plan-history').locator('li.history-session');
    await expect(sessions).toHaveCount(2);
    await expect(sessions.first().locator('summary')).toContainText(/^You · today \d{2}:\d{2} · 4 changes$/);
    await expect(sessions.nth(1).locator('summary')).toContainText('the history kept here begins: the plan as it was');
    await sessions.first().locator('summary').click();
    await expect(sessions.first()).toContainText('Done');
    await expect(sessions.first()).toContainText('Ana');
    await editor.page.screenshot({ path: test.info().outputPath('local-history.png') });

    // The status update reads the local history too.
    await dialog.getByRole('button', { name: 'Copy as Markdown' }).click();
    const update = dialog.getByRole('textbox', { name: 'Status update' });
    await expect(update).toHaveValue(/1 item moved to \*\*Done\*\*/);
    await expect(update).toContainText(`Removed: “${third}”`);

    // A named version, kept in this browser.
    await dialog.getByLabel('Name the plan as it is now').fill('Before review');
    await dialog.getByLabel('Name the plan as it is now').press('Enter');
    await expect(dialog.getByTestId('named-versions')).toContainText('“Before review”');

    // The deleted row comes back where it was.
    await sessions.first().getByRole('button', { name: 'Bring back' }).click();
    await expect(editor.text(3, 'item')).toHaveText(third!);

    // Taking the session back restores the plan as it was before it (the row brought back
    // since stays).
    await editor.page.keyboard.press('Control+Alt+Shift+KeyH');
    await expect(sessions).toHaveCount(2);
    await sessions.first().locator('summary').click();
    await sessions.first().getByRole('button', { name: 'Take back these changes' }).click();
    await expect(dialog).toBeHidden();
    await expect(editor.text(1, 'item')).toHaveText(first!);
    await expect(editor.text(1, 'status')).not.toHaveText('Done');
    await expect(editor.cell(2, 'owner')).not.toHaveText('Ana');
    await expect(editor.text(3, 'item')).toHaveText(third!);

    // The named version previews and restores, as one undoable edit.
    await editor.page.keyboard.press('Control+Alt+Shift+KeyH');
    const named = dialog.getByTestId('named-versions');
    await expect(named).toContainText('“Before review”');
    await named.getByRole('button', { name: 'Preview' }).click();
    const preview = dialog.getByRole('region', { name: /^Preview: / });
    await expect(preview.getByRole('status')).toContainText('Compared with now');
    await preview.getByRole('button', { name: 'Restore this version' }).click();
    await expect(dialog).toBeHidden();
    await expect(editor.text(1, 'item')).toHaveText('Renamed by mistake');
    await expect(editor.text(3, 'item')).not.toHaveText(third!);
    await editor.cell(1, 'category').click();
    await editor.page.keyboard.press('Control+z');
    await expect(editor.text(1, 'item')).toHaveText(first!);
  });

  test('two tabs of one browser write one local history', async ({ editor, consoleGuard }) => {
    await editor.goto();
    const second = await editor.page.context().newPage();
    second.on('pageerror', (e) => consoleGuard.problems.push(`second tab: ${e.message}`));
    const other = new Editor(second);
    await other.goto();
    await editor.set(1, 'owner', 'From the first tab');
    await expect(other.cell(1, 'owner')).toHaveText('From the first tab');
    await other.set(2, 'owner', 'From the second tab');
    await expect(editor.cell(2, 'owner')).toHaveText('From the second tab');
    await editor.set(3, 'owner', 'First again');
    await expect(other.cell(3, 'owner')).toHaveText('First again');

    for (const tab of [editor, other]) {
      await tab.page.keyboard.press('Control+Alt+Shift+KeyH');
      const dialog = tab.page.getByRole('dialog', { name: 'Plan history' });
      const sessions = dialog.getByTestId('plan-history').locator('li.history-session');
      await expect(sessions.first().locator('summary')).toContainText('3 changes');
      await sessions.first().locator('summary').click();
      for (const text of ['From the first tab', 'From the second tab', 'First again']) {
        await expect(sessions.first()).toContainText(text);
      }
      await dialog.getByRole('button', { name: 'Close' }).click();
    }
    await second.close();
  });

  test('a full browser storage drops local history, never a save of the plans', async ({ editor }) => {
    await editor.goto();
    // A local history of some size: long Notes written to a few rows.
    for (let n = 1; n <= 4; n++) {
      await editor.set(n, 'notes', `${n} `.repeat(2000));
    }
    await expect(editor.saveIndicator()).toContainText('Saved');
    const history = await editor.page.evaluate(() => (localStorage.getItem('syncplan.history.main') ?? '').length);
    expect(history).toBeGreaterThan(10_000);
    // Everything else the site's storage can hold is taken.
    await editor.page.evaluate(() => {
      let i = 0;
      for (let size = 1 << 20; size >= 16; size >>= 1) {
        const filler = 'x'.repeat(size);
        for (;;) {
          try {
            localStorage.setItem(`filler.${i++}`, filler);
          } catch {
            break;
          }
        }
      }
    });
    // A change that makes the stored plans bigger is saved anyway.
    await editor.set(5, 'notes', 'kept-'.repeat(1000));
    await expect(editor.saveIndicator()).toContainText('Saved');
    await expect(editor.page.locator('.notice')).toContainText(
      'storage for the site is full, so the history of',
    );
    await expect
      .poll(async () => {
        const env = await editor.stored();
        return env.plans.find((p: any) => p.id === env.active).plan.rows[4].notes;
      })
      .toBe('kept-'.repeat(1000));
    await editor.page.evaluate(() => {
      for (const key of Object.keys(localStorage)) if (key.startsWith('filler.')) localStorage.removeItem(key);
    });
  });
});

test.describe('since you last looked', () => {
  test.describe.configure({ timeout: 90_000 });

  test('someone coming back sees what others changed meanwhile, marked, until they dismiss it', async ({ editor, browser, consoleGuard }) => {
    const url = await shareAsOlga(editor);

    let { context, page, b } = await joinAsBo(browser, consoleGuard, url);
    await b.set(1, 'item', 'Bo was here');
    await expect(b.saveIndicator()).toHaveText('Synced');
    await expect(editor.text(1, 'item')).toHaveText('Bo was here');
    await page.close();

    // While Bo is away.
    await editor.set(2, 'status', 'Done');
    await editor.set(3, 'owner', 'Olga');
    await expect(editor.saveIndicator()).toHaveText('Synced');

    page = await context.newPage();
    watchBo(page, consoleGuard);
    b = new Editor(page);
    await page.goto('/');
    await b.ready();
    const bar = page.getByRole('region', { name: 'Changes since you were last here' });
    await expect(bar).toContainText(/^2 changes by Olga since you were last here \(the first (today|yesterday) \d{2}:\d{2}\)\./);
    await expect(b.cell(2, 'status')).toHaveAttribute('data-changed', '');
    await expect(b.cell(3, 'owner')).toHaveAttribute('data-changed', '');
    await expect(b.cell(1, 'item')).not.toHaveAttribute('data-changed', '');
    await bar.getByRole('button', { name: 'Next' }).click();
    await expect(b.cell(2, 'status')).toBeFocused();
    await bar.getByRole('button', { name: 'Next' }).click();
    await expect(b.cell(3, 'owner')).toBeFocused();
    await bar.getByRole('button', { name: 'Dismiss' }).click();
    await expect(bar).toBeHidden();
    await expect(b.cell(2, 'status')).not.toHaveAttribute('data-changed', '');

    // Seen: the next visit has nothing to say.
    await expect(b.saveIndicator()).toHaveText('Synced');
    await page.reload();
    await b.ready();
    await expect(b.text(3, 'owner')).toHaveText('Olga');
    // Once the page's requests are done (the history it asks for among them).
    await page.waitForLoadState('networkidle');
    await expect(bar).toBeHidden();
    await context.close();
  });
});

test.describe('plan history', () => {
  test.describe.configure({ timeout: 90_000 });

  test('changes by person and time, a deleted row brought back, a status update to copy', async ({ editor, browser, consoleGuard }) => {
    const url = await shareAsOlga(editor);
    const third = await editor.text(3, 'item').textContent();

    const { context, page, b } = await joinAsBo(browser, consoleGuard, url);
    await b.set(2, 'status', 'Done');
    await b.cell(3, 'item').click();
    await page.getByRole('button', { name: 'Delete row' }).click();
    await expect(editor.text(3, 'item')).not.toHaveText(third!);

    await editor.page.getByRole('button', { name: 'History', exact: true }).click();
    const dialog = editor.page.getByRole('dialog', { name: 'Plan history' });
    const sessions = dialog.getByTestId('plan-history').locator('li.history-session');
    await expect(sessions.first().locator('summary')).toHaveText(/^Bo · (today|yesterday) \d{2}:\d{2} · \d+ changes$/);
    // Bo's edits, and the plan as it was when Olga turned editing on: each once.
    await expect(sessions).toHaveCount(2);
    await expect(sessions.nth(1).locator('summary')).toContainText('editing together turned on');
    await sessions.first().locator('summary').click();
    await expect(sessions.first()).toContainText('Status: “Not started” → “Done”');
    await expect(sessions.first()).toContainText(`Deleted row “${third}”`);

    // The status update says what moved where.
    await expect(dialog.getByLabel('Status update: changes since')).toHaveValue('7');
    await dialog.getByRole('button', { name: 'Copy as Markdown' }).click();
    await expect(dialog.getByLabel('Status update', { exact: true })).toHaveValue(/- 1 item moved to \*\*Done\*\*: “.+”/);
    const update = await dialog.getByLabel('Status update', { exact: true }).inputValue();
    expect(update).toContain(`- Removed: “${third}”`);
    expect(update, 'the plan as it was when shared is not news').not.toContain('- Added:');
    await editor.page.screenshot({ path: test.info().outputPath('plan-history.png') });

    // The deleted row comes back where it was, for everyone.
    await sessions.first().getByRole('button', { name: 'Bring back' }).click();
    await expect(editor.text(3, 'item')).toHaveText(third!);
    await expect(b.text(3, 'item')).toHaveText(third!);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(dialog).toBeHidden();

    // From the keyboard too.
    await editor.page.keyboard.press('Control+Alt+Shift+KeyH');
    await expect(dialog).toBeVisible();
    await context.close();
  });
  test('an earlier version previewed, restored for everyone, undone in one step; a named version', async ({ editor, browser, consoleGuard }) => {
    const url = await shareAsOlga(editor);
    const first = await editor.text(1, 'item').textContent();
    const third = await editor.text(3, 'item').textContent();
    const rows = await editor.rows().count();

    // Bo's big mistake: a status, a rename and a deleted row.
    const { context, page, b } = await joinAsBo(browser, consoleGuard, url);
    await b.set(2, 'status', 'Done');
    await b.set(1, 'item', 'Renamed by mistake');
    await b.cell(3, 'item').click();
    await page.getByRole('button', { name: 'Delete row' }).click();
    await expect(editor.text(3, 'item')).not.toHaveText(third!);
    await expect(editor.text(1, 'item')).toHaveText('Renamed by mistake');

    await editor.page.getByRole('button', { name: 'History', exact: true }).click();
    const dialog = editor.page.getByRole('dialog', { name: 'Plan history' });
    const sessions = dialog.getByTestId('plan-history').locator('li.history-session');
    await expect(sessions).toHaveCount(2);
    await sessions.nth(1).locator('summary').click();
    await sessions.nth(1).getByRole('button', { name: 'Preview the plan as shared' }).click();
    const preview = dialog.getByRole('region', { name: /^Preview: / });
    await expect(preview.getByRole('status')).toHaveText(
      'Compared with now: 2 cells differ, 1 row was deleted since.',
    );
    await expect(preview.locator('tbody tr')).toHaveCount(rows);
    await expect(preview.locator('td.version-changed')).toHaveCount(2);
    await expect(preview.locator('td.version-changed').first()).toHaveText(`${first}now: Renamed by mistake`);
    await expect(preview.locator('tr.version-gone')).toContainText(third!);
    await editor.page.screenshot({ path: test.info().outputPath('version-preview.png') });
    // An earlier point can be named from its preview.
    await preview.getByLabel('Name this version').fill('Before Bo');
    await preview.getByLabel('Name this version').press('Enter');
    await expect(preview).toContainText('This version is named “Before Bo”');

    // Restored for everyone, as one edit.
    await preview.getByRole('button', { name: 'Restore this version' }).click();
    await expect(dialog).toBeHidden();
    for (const who of [editor, b]) {
      await expect(who.text(1, 'item')).toHaveText(first!);
      await expect(who.text(3, 'item')).toHaveText(third!);
      await expect(who.rows()).toHaveCount(rows);
    }
    await expect(b.cell(2, 'status')).toContainText('Not started');
    await expect(editor.page.getByRole('status').filter({ hasText: 'Restored “Before Bo”' }).first()).toBeAttached();
    // One Ctrl+Z takes the whole restore back, for everyone.
    await editor.cell(1, 'category').click();
    await editor.page.keyboard.press('Control+z');
    await expect(editor.text(1, 'item')).toHaveText('Renamed by mistake');
    await expect(b.text(1, 'item')).toHaveText('Renamed by mistake');
    await expect(b.text(3, 'item')).not.toHaveText(third!);

    // A named version: listed with who named it, previewed as the plan is now.
    await editor.page.getByRole('button', { name: 'History', exact: true }).click();
    await dialog.getByLabel('Name the plan as it is now').fill('Sent to eng review');
    await dialog.getByLabel('Name the plan as it is now').press('Enter');
    await expect(dialog).toBeVisible();
    const named = dialog.getByTestId('named-versions');
    await expect(named).toContainText(/“Sent to eng review” · Olga · today \d{2}:\d{2}/);
    await expect(named.locator('li')).toHaveCount(2);
    await expect(named.locator('li').nth(1)).toContainText('“Before Bo” · Olga');
    await named.getByRole('button', { name: 'Preview' }).first().click();
    await expect(preview.getByRole('status')).toHaveText('This is the plan as it is now.');
    await expect(preview.getByRole('button', { name: 'Restore this version' })).toBeDisabled();
    await preview.getByRole('button', { name: 'Back to the list' }).click();
    await expect(named).toBeVisible();

    // What changed since that version, as text for chat.
    await dialog.getByRole('button', { name: 'Close' }).click();
    const item4 = await editor.text(4, 'item').textContent();
    await b.set(4, 'status', 'Done');
    await expect(editor.cell(4, 'status')).toContainText('Done');
    await editor.page.getByRole('button', { name: 'History', exact: true }).click();
    await dialog.getByLabel('Status update: changes since').selectOption({ label: '“Sent to eng review”' });
    await dialog.getByRole('button', { name: 'Copy as text for chat' }).click();
    const chat = await dialog.getByLabel('Status update', { exact: true }).inputValue();
    expect(chat).toMatch(/^What changed in “.+” since “Sent to eng review” \(/);
    expect(chat).toContain(`• 1 item moved to Done: “${item4}”`);
    expect(chat).not.toContain('**');
    expect(chat, 'the restore and its undo came before the version').not.toContain('Renamed');
    // Bo sees it too.
    await page.getByRole('button', { name: 'History', exact: true }).click();
    await expect(page.getByRole('dialog', { name: 'Plan history' }).getByTestId('named-versions')).toContainText('Sent to eng review');
    await context.close();
  });
  test('someone’s mass delete is taken back in one step, keeping what others changed since', async ({ editor, browser, consoleGuard }) => {
    const url = await shareAsOlga(editor);
    const second = await editor.text(2, 'item').textContent();
    const third = await editor.text(3, 'item').textContent();
    const rows = await editor.rows().count();

    const { context, page, b } = await joinAsBo(browser, consoleGuard, url);
    // Bo: row 1 Done, then rows 2 and 3 deleted.
    await b.set(1, 'status', 'Done');
    for (let i = 0; i < 2; i++) {
      await b.cell(2, 'item').click();
      await page.getByRole('button', { name: 'Delete row' }).click();
    }
    await expect(editor.rows()).toHaveCount(rows - 2);
    // Olga, later (more than a session apart is not needed: another person), changes row 1.
    await editor.set(1, 'status', 'Blocked');
    await expect(b.cell(1, 'status')).toContainText('Blocked');

    await editor.page.getByRole('button', { name: 'History', exact: true }).click();
    const dialog = editor.page.getByRole('dialog', { name: 'Plan history' });
    const sessions = dialog.getByTestId('plan-history').locator('li.history-session');
    const bos = sessions.filter({ hasText: /^Bo · / });
    await bos.locator('summary').click();
    await bos.getByRole('button', { name: 'Take back these changes' }).click();
    await expect(dialog).toBeHidden();
    for (const who of [editor, b]) {
      await expect(who.rows()).toHaveCount(rows);
      await expect(who.text(2, 'item')).toHaveText(second!);
      await expect(who.text(3, 'item')).toHaveText(third!);
      // Olga's later change stays.
      await expect(who.cell(1, 'status')).toContainText('Blocked');
    }
    await expect(editor.page.getByTestId('announcer')).toContainText('1 change made again since was kept');
    // One Ctrl+Z takes it all back again.
    await editor.cell(1, 'category').click();
    await editor.page.keyboard.press('Control+z');
    await expect(b.rows()).toHaveCount(rows - 2);
    await context.close();
  });
});
