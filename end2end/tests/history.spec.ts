import { test, expect, Editor, join, turnOnEditing } from './fixtures';

test.describe('history', () => {
  test.describe.configure({ timeout: 90_000 });

  test('a cell’s edit history says who wrote each value and when, and restores one', async ({ editor, browser, consoleGuard }) => {
    await editor.goto();
    const [url] = await turnOnEditing(editor);
    await editor.page.getByLabel('Your name').fill('Olga');
    await editor.page.getByLabel('Your name').press('Enter');
    await expect(editor.saveIndicator()).toHaveText('Synced');
    await editor.set(1, 'owner', 'Olga’s pick');
    await expect(editor.saveIndicator()).toHaveText('Synced');

    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => consoleGuard.problems.push(`B pageerror: ${e.message}`));
    await join(page, url, 'Bo');
    const b = new Editor(page);
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

  test('a plan kept in this browser says its history starts when it is edited together', async ({ editor }) => {
    await editor.goto();
    await editor.cell(1, 'status').click();
    await editor.page.keyboard.press('Control+Alt+KeyH');
    const dialog = editor.page.getByRole('dialog', { name: 'Status, row 1: edit history' });
    await expect(dialog).toContainText('Turn on editing together');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(dialog).toBeHidden();
  });
});

test.describe('since you last looked', () => {
  test.describe.configure({ timeout: 90_000 });

  test('someone coming back sees what others changed meanwhile, marked, until they dismiss it', async ({ editor, browser, consoleGuard }) => {
    await editor.goto();
    const [url] = await turnOnEditing(editor);
    await editor.page.getByLabel('Your name').fill('Olga');
    await editor.page.getByLabel('Your name').press('Enter');
    await expect(editor.saveIndicator()).toHaveText('Synced');

    const context = await browser.newContext();
    let page = await context.newPage();
    page.on('pageerror', (e) => consoleGuard.problems.push(`B pageerror: ${e.message}`));
    await join(page, url, 'Bo');
    let b = new Editor(page);
    await b.set(1, 'item', 'Bo was here');
    await expect(b.saveIndicator()).toHaveText('Synced');
    await expect(editor.text(1, 'item')).toHaveText('Bo was here');
    await page.close();

    // While Bo is away.
    await editor.set(2, 'status', 'Done');
    await editor.set(3, 'owner', 'Olga');
    await expect(editor.saveIndicator()).toHaveText('Synced');

    page = await context.newPage();
    page.on('pageerror', (e) => consoleGuard.problems.push(`B pageerror: ${e.message}`));
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
