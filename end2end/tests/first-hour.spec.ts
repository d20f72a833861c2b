import { test, expect, Editor, join, stranger, turnOnEditing } from './fixtures';
import type { Locator, Page } from '@playwright/test';

/** Whether the element is inside the window (wholly, or at least `part` of its height). */
async function inView(page: Page, el: Locator): Promise<boolean> {
  const box = await el.boundingBox();
  const size = page.viewportSize()!;
  return !!box && box.y >= 0 && box.y + box.height <= size.height && box.x >= 0 && box.x + box.width <= size.width;
}

// A PM team's first hour (issue 27): who may do what in a shared plan, whole-plan actions,
// selections, errors, joining, time zones, touch, and buttons that work or say why offline.
test.describe("a team's first hour", () => {
  test.describe.configure({ timeout: 60_000 });

  test("an editor's Share dialog shows the plan's links and Leave, and no owner action", async ({ editor, browser, consoleGuard }) => {
    await editor.goto();
    await editor.page.getByLabel('Plan title').fill('Checkout sync');
    const [editUrl, viewUrl] = await turnOnEditing(editor);
    await editor.page.getByLabel('Your name').fill('Olga');
    await editor.page.getByLabel('Your name').press('Enter');

    const eng = await stranger(browser, consoleGuard, 'engineer');
    await join(eng, editUrl, 'Eli', 'Checkout sync', 'Olga');
    await eng.getByRole('button', { name: 'Shared ✓' }).click();
    const dialog = eng.getByRole('dialog', { name: 'Share', exact: true });
    await expect(dialog).toContainText('This plan belongs to Olga, who shared it with you.');
    await expect(dialog.locator('#share-url')).toHaveValue(viewUrl);
    await expect(dialog.locator('#edit-url')).toHaveValue(editUrl);
    for (const owner of ['Create link', 'Update link', 'Revoke', 'New edit link', 'Turn editing off', 'Turn on editing']) {
      await expect(dialog.getByRole('button', { name: owner })).toHaveCount(0);
    }
    // Leave: asked once more, then the plan is the engineer's private copy and the team
    // goes on without it.
    await dialog.getByRole('button', { name: 'Leave…' }).click();
    await expect(dialog).toContainText('The team keeps editing without you');
    await dialog.getByRole('button', { name: 'Yes, leave the plan' }).click();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(eng.getByTestId('live-bar')).toHaveCount(0);
    await expect(eng.getByTestId('announcer')).toContainText('You left "Checkout sync"');
    await expect(editor.page.getByTestId('live-bar')).toContainText('Only you are here', { timeout: 10_000 });
    await new Editor(eng).set(1, 'owner', 'Only in my copy');
    await editor.page.waitForTimeout(500);
    await expect(editor.text(1, 'owner')).not.toHaveText('Only in my copy');

    // The owner's dialog still has every owner action.
    await editor.page.getByRole('button', { name: 'Shared ✓' }).click();
    const own = editor.page.getByRole('dialog', { name: 'Share', exact: true });
    await expect(own.getByRole('button', { name: 'Revoke' })).toBeVisible();
    await expect(own.getByRole('button', { name: 'Turn editing off' })).toBeVisible();
    await expect(own.getByRole('button', { name: 'Leave…' })).toHaveCount(0);
  });

  test('Reset in a shared plan names everyone, asks twice, and is not in the first toolbar row', async ({ editor, browser, consoleGuard }) => {
    await editor.goto();
    await expect(editor.page.locator('.toolbar').getByRole('button', { name: /Reset/ })).toHaveCount(0);
    await editor.set(1, 'item', 'Our own first row');
    const [editUrl] = await turnOnEditing(editor);
    const bo = await stranger(browser, consoleGuard, 'Bo');
    await join(bo, editUrl, 'Bo');
    await expect(editor.page.getByTestId('live-bar')).toContainText('Bo');

    await editor.button('Reset to template…').click();
    const dialog = editor.page.getByRole('dialog', { name: 'Reset to the template for everyone?' });
    await expect(dialog).toContainText('Bo and you are editing now');
    await expect(dialog).toContainText('Only you can undo it');
    await dialog.getByRole('button', { name: 'Reset for everyone…' }).click();
    await expect(dialog).toContainText('Are you sure?');
    // Cancel at the second question: nothing changes.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
    await expect(new Editor(bo).text(1, 'item')).toHaveText('Our own first row');

    await editor.button('Reset to template…').click();
    await dialog.getByRole('button', { name: 'Reset for everyone…' }).click();
    await dialog.getByRole('button', { name: 'Yes, reset for everyone' }).click();
    await expect(new Editor(bo).text(1, 'item')).toHaveText('Map every sync trigger');

    // Deleting several selected rows asks the same way.
    await editor.cell(2, 'item').click();
    await editor.page.keyboard.press('Shift+ArrowDown');
    await editor.page.keyboard.press('Shift+ArrowDown');
    const before = await editor.rows().count();
    await editor.button('Delete row').click();
    const del = editor.page.getByRole('dialog', { name: 'Delete 3 rows for everyone?' });
    await del.getByRole('button', { name: 'Delete for everyone…' }).click();
    await del.getByRole('button', { name: 'Yes, delete for everyone' }).click();
    await expect(new Editor(bo).rows()).toHaveCount(before - 3);
  });

  test('Ctrl+A then typing edits the active cell, in view; a click on the active cell only selects', async ({ editor, page }) => {
    await editor.goto();
    const lastNotes = await editor.cell(await editor.rows().count(), 'notes').textContent();
    await editor.cell(3, 'owner').click();
    await editor.cell(3, 'owner').click();
    await expect(editor.editorBox(), 'a second click does not open the editor').toHaveCount(0);
    await page.keyboard.press('Enter');
    await expect(editor.editorBox()).toBeFocused();
    await page.keyboard.press('Escape');

    await page.keyboard.press('Control+A');
    await expect(editor.row(3)).toHaveAttribute('data-active', 'owner');
    await expect(editor.row(30)).toHaveAttribute('data-sel', /notes/);
    // The person scrolls away, then types: the active cell comes back into view and takes it.
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await page.keyboard.type('Dana');
    await expect(editor.editorBox()).toHaveValue('Dana');
    expect(await inView(page, editor.editorBox())).toBe(true);
    await page.keyboard.press('Enter');
    await expect(editor.text(3, 'owner')).toHaveText('Dana');
    await expect(editor.cell(await editor.rows().count(), 'notes')).toHaveText(lastNotes!);
  });

  test("a value a cell cannot take is explained next to it, in view; Esc gives the old value back", async ({ editor, page }) => {
    await page.setViewportSize({ width: 1280, height: 720 });
    await editor.goto();
    // Far down the table, after the page itself scrolled.
    await editor.cell(20, 'status').click();
    await page.keyboard.press('F2');
    await editor.editorBox().fill('later');
    await page.keyboard.press('Enter');
    const problem = page.locator('#grid-problem');
    await expect(problem).toBeVisible();
    await expect(problem).toContainText('"later" is not a status');
    expect(await inView(page, problem), 'the reason is in the window').toBe(true);
    const cell = (await editor.cell(20, 'status').boundingBox())!;
    const box = (await problem.boundingBox())!;
    expect(box.y - (cell.y + cell.height)).toBeLessThan(80);
    expect(box.y).toBeGreaterThanOrEqual(cell.y);
    await expect(editor.editorBox()).toHaveAttribute('aria-describedby', 'grid-problem');
    await expect(editor.editorBox()).toHaveAttribute('aria-invalid', 'true');
    // The column header stays in sight while the table scrolls with the page.
    const headY = async () => (await page.locator('table.plan-table thead').boundingBox())!.y;
    await expect.poll(headY).toBeGreaterThanOrEqual(-1);
    await expect.poll(headY).toBeLessThan(720);
    await page.keyboard.press('Escape');
    await expect(problem).toBeHidden();
    await expect(editor.text(20, 'status')).toHaveText('Not started');

    // The header follows on the page's scroll event, which comes after scrollTo returns.
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight / 2));
    const headTop = async () => (await page.locator('table.plan-table thead').boundingBox())!.y;
    await expect.poll(headTop, { message: 'the header row is in the window' }).toBeGreaterThanOrEqual(-1);
    await expect.poll(headTop).toBeLessThan(200);
  });

  test("the read-only page shows times in the reader's zone, with UTC on hover", async ({ editor, browser, consoleGuard }) => {
    await editor.goto();
    const [, viewUrl] = await turnOnEditing(editor);
    const context = await browser.newContext({ timezoneId: 'Asia/Tokyo', locale: 'en-GB' });
    const page = await context.newPage();
    page.on('pageerror', (e) => consoleGuard.problems.push(`tokyo: ${e.message}`));
    await page.goto(viewUrl);
    await page.locator('body[data-hydrated="true"]').waitFor();
    const time = page.locator('.lead time');
    await expect(time).toHaveAttribute('title', /UTC$/);
    await expect(time).toContainText(/GMT\+9|JST/);
    const utc = await time.getAttribute('title');
    const [h] = utc!.match(/(\d\d):\d\d UTC/)!.slice(1);
    const local = (await time.textContent())!.match(/(\d\d):\d\d/)![1];
    expect((Number(h) + 9) % 24).toBe(Number(local));
    await context.close();
  });

  test('on a phone, the first tap on a cell edits it and the title is never cut off', async ({ browser, consoleGuard }) => {
    const context = await browser.newContext({ hasTouch: true, isMobile: true, viewport: { width: 390, height: 844 } });
    const phone = await context.newPage();
    phone.on('pageerror', (e) => consoleGuard.problems.push(`phone: ${e.message}`));
    const editor = new Editor(phone);
    await editor.goto();
    const title = 'Background sync for the field technicians app, offline first';
    await phone.getByLabel('Plan title').fill(title);
    const cut = await phone.getByLabel('Plan title').evaluate((el: HTMLTextAreaElement) => el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1);
    expect(cut, 'the whole title is visible').toBe(false);
    const wide = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(wide, 'nothing sticks out of the page sideways').toBeLessThanOrEqual(0);
    await editor.cell(2, 'owner').tap();
    await expect(editor.editorBox()).toBeFocused();
    await phone.keyboard.type('Kim');
    await phone.keyboard.press('Enter');
    await expect(editor.text(2, 'owner')).toHaveText('Kim');
    await context.close();
  });

  test('offline, every toolbar action works or says why, and the tab stays on the plan', async ({ editor, page, context, consoleGuard }) => {
    await editor.goto();
    const url = page.url();
    await context.setOffline(true);
    consoleGuard.allow(/ERR_INTERNET_DISCONNECTED|Failed to load resource|Failed to fetch/);
    await editor.openExport();
    for (const label of ['Google Sheets (CSV)', 'Excel (CSV)', 'Backup (JSON)', 'Jira (CSV)']) {
      await editor.openExport();
      await page.getByRole('button', { name: label, exact: true }).click();
      await expect(page.locator('.export-error')).toContainText(`${label}: no file`);
      await expect(page.locator('.export-error')).toContainText('need');
      expect(page.url()).toBe(url);
    }
    await editor.button('+ Add row').click();
    await expect(editor.rows()).toHaveCount(41);
    await editor.button('Undo').click();
    await expect(editor.rows()).toHaveCount(40);
    await page.getByRole('button', { name: 'Share…' }).click();
    const share = page.getByRole('dialog', { name: 'Share', exact: true });
    // Its options load on first use (or, loaded, Create link fails): either way a sentence
    // about the connection.
    const create = share.getByRole('button', { name: 'Create link' });
    await expect(create.or(share.getByRole('alert'))).toBeVisible();
    if (await create.isVisible()) await create.click();
    await expect(share).toContainText(/connection/);
    await share.getByRole('button', { name: 'Close' }).click();
    expect(page.url()).toBe(url);
    await expect(editor.text(1, 'item')).toHaveText('Map every sync trigger');
  });

  test('an edit link cut short or damaged says which, and the plan opens', async ({ editor, page }) => {
    // Pasted without the part after #.
    await editor.goto('/e/AAAAAAAAAAAAAAAAAAAAAA');
    await expect(page.getByRole('alert')).toContainText('its secret part (after #) is missing');
    expect(new URL(page.url()).pathname).toBe('/');
    await expect(editor.rows().first()).toBeVisible();
    // Its id mangled (here cut short), the secret still there.
    await editor.goto('/e/AAAAAAAAAAA#s3cret');
    await expect(page.getByRole('alert')).toContainText('is not the name of a plan');
    expect(page.url(), 'the secret leaves the address bar').not.toContain('s3cret');
  });
});
