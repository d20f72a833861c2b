import { test, expect, Editor, stranger } from './fixtures';


async function createLink(editor: Editor): Promise<string> {
  const page = editor.page;
  await page.getByRole('button', { name: 'Share…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Share', exact: true });
  await dialog.getByRole('button', { name: 'Create link' }).click();
  const url = await dialog.locator('#share-url').inputValue();
  expect(url).toMatch(/\/s\/[A-Za-z0-9_-]{22}$/);
  return url;
}

test.describe('share links', () => {
  test('a stranger sees the plan read-only, makes a copy and edits it', async ({ editor, browser, consoleGuard }) => {
    await editor.goto();
    await editor.page.getByLabel('Plan title').fill('Payments sync plan');
    await editor.set(1, 'owner', 'Owner Olga');
    const url = await createLink(editor);

    const viewer = await stranger(browser, consoleGuard);
    await viewer.goto(url);
    await viewer.locator('body[data-hydrated="true"]').waitFor();
    await expect(viewer.getByRole('heading', { level: 1 })).toHaveText('Payments sync plan');
    const table = viewer.locator('table.plan-table');
    await expect(table.locator('tbody tr').first()).toContainText('Owner Olga');
    // No editing controls in the rows (the header's buttons only sort the view).
    await expect(table.locator('tbody').locator('input, textarea, select, button')).toHaveCount(0);
    await expect(viewer.locator('#importdata')).toHaveValue(`=IMPORTDATA("${url}/export/csv")`);

    await viewer.getByRole('button', { name: 'Make a copy' }).click();
    await viewer.waitForURL((u) => u.pathname === '/');
    await viewer.locator('body[data-hydrated="true"]').waitFor();
    const copy = new Editor(viewer);
    await expect(viewer.getByLabel('Plan title')).toHaveValue('Payments sync plan');
    await expect(copy.text(1, 'owner')).toHaveText('Owner Olga');
    await copy.set(1, 'owner', 'Viewer Vic');
    await copy.reload();
    await expect(copy.text(1, 'owner')).toHaveText('Viewer Vic');

    // The owner's plan and link are untouched.
    const viewer2 = await stranger(browser, consoleGuard);
    await viewer2.goto(url);
    await expect(viewer2.locator('table.plan-table tbody tr').first()).toContainText('Owner Olga');
  });

  test('the owner updates the same link, then revokes it', async ({ editor, browser, consoleGuard }) => {
    await editor.goto();
    await editor.set(1, 'item', 'Version one');
    const url = await createLink(editor);
    const viewer = await stranger(browser, consoleGuard);
    await viewer.goto(url);
    await expect(viewer.locator('table.plan-table tbody tr').first()).toContainText('Version one');

    // After a reload the owner can still manage the link.
    await editor.page.getByRole('button', { name: 'Close' }).click();
    await editor.set(1, 'item', 'Version two');
    await editor.reload();
    await editor.page.getByRole('button', { name: 'Shared ✓' }).click();
    const dialog = editor.page.getByRole('dialog', { name: 'Share', exact: true });
    await expect(dialog.locator('#share-url')).toHaveValue(url);
    await dialog.getByRole('button', { name: 'Update link' }).click();
    await expect(dialog.getByRole('status')).toContainText('now shows the plan');
    await viewer.reload();
    await expect(viewer.locator('table.plan-table tbody tr').first()).toContainText('Version two');

    consoleGuard.allow(/status of 410/);
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await dialog.getByRole('button', { name: 'Yes, revoke the link' }).click();
    await expect(dialog.getByRole('status')).toContainText('revoked');
    await expect(dialog.getByRole('button', { name: 'Create link' })).toBeVisible();
    const response = await viewer.reload();
    expect(response?.status()).toBe(410);
    await expect(viewer.getByRole('heading', { level: 1 })).toHaveText('This shared plan was taken down');
  });

  test('making a copy never overwrites a plan, even one open in another tab', async ({ editor, browser, consoleGuard }) => {
    await editor.goto();
    await editor.page.getByLabel('Plan title').fill('Shared original');
    const url = await createLink(editor);

    // The viewer already has their own plan open in one tab.
    const context = await browser.newContext();
    const mine = await context.newPage();
    mine.on('pageerror', (e) => consoleGuard.problems.push(`mine: ${e.message}`));
    await mine.goto('/');
    await mine.locator('body[data-hydrated="true"]').waitFor();
    const myEditor = new Editor(mine);
    await mine.getByLabel('Plan title').fill('My own plan');
    await myEditor.set(1, 'owner', 'Me');

    const share = await context.newPage();
    await share.goto(url);
    await share.locator('body[data-hydrated="true"]').waitFor();
    await share.getByRole('button', { name: 'Make a copy' }).click();
    await share.waitForURL((u) => u.pathname === '/');
    await share.locator('body[data-hydrated="true"]').waitFor();
    await expect(share.getByLabel('Plan title')).toHaveValue('Shared original');

    // The first tab still has its plan open, unchanged, and now also lists the copy.
    await expect(mine.getByLabel('Plan title')).toHaveValue('My own plan');
    await expect(myEditor.text(1, 'owner')).toHaveText('Me');
    await expect(mine.locator('#plan-select option')).toHaveText(['My own plan', 'Shared original']);
    await myEditor.set(2, 'owner', 'Still me');
    await myEditor.reload();
    await expect(mine.getByLabel('Plan title')).toHaveValue('My own plan');
    await expect(myEditor.text(2, 'owner')).toHaveText('Still me');
  });
});

test.describe('several plans', () => {
  test('new, duplicate, switch, rename and delete', async ({ editor, page }) => {
    await editor.goto();
    await page.getByLabel('Plan title').fill('Alpha');
    await editor.set(1, 'owner', 'A');

    await page.getByRole('button', { name: 'Duplicate' }).click();
    await expect(page.getByLabel('Plan title')).toHaveValue('Copy of Alpha');
    await expect(editor.text(1, 'owner')).toHaveText('A');
    await page.getByLabel('Plan title').fill('Beta');
    await editor.set(1, 'owner', 'B');

    await page.getByRole('button', { name: 'New plan' }).click();
    await expect(page.getByLabel('Plan title')).toHaveValue('Background sync plan');
    await expect(editor.text(1, 'owner')).toHaveText('');
    await expect(page.locator('#plan-select option')).toHaveText(['Alpha', 'Beta', 'Background sync plan']);

    await page.locator('#plan-select').selectOption({ label: 'Alpha' });
    await expect(editor.text(1, 'owner')).toHaveText('A');
    await editor.reload();
    await expect(page.getByLabel('Plan title')).toHaveValue('Alpha', { timeout: 5000 });

    await page.locator('#plan-select').selectOption({ label: 'Beta' });
    await page.getByRole('button', { name: 'Delete plan…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this plan?' });
    await expect(dialog).toContainText('"Beta" will be removed');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.locator('#plan-select option')).toHaveCount(3);
    await page.getByRole('button', { name: 'Delete plan…' }).click();
    await dialog.getByRole('button', { name: 'Delete plan' }).click();
    await expect(page.locator('#plan-select option')).toHaveText(['Alpha', 'Background sync plan']);
    await editor.reload();
    await expect(page.locator('#plan-select option')).toHaveText(['Alpha', 'Background sync plan']);
  });
});
