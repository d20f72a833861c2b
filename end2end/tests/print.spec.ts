import { test, expect } from './fixtures';

// The print stylesheet: title, summary, the whole table without controls, every FAQ answer.
test.describe('print', () => {
  test('the editor prints the plan, not the controls', async ({ editor, page }) => {
    await editor.goto();
    const long = Array.from({ length: 12 }, (_, i) => `Line ${i + 1} of a long note that must print in full.`).join('\n');
    await editor.set(2, 'notes', long);
    // A filter on screen does not shorten the printout.
    await editor.openReadiness();
    await page.getByRole('button', { name: /^Security: / }).click();
    await page.emulateMedia({ media: 'print' });

    for (const hidden of ['.toolbar', '.plan-switcher', '.table-filters', '.row-tools', '.keyboard-help', '.cell-editor', '.col-resize']) {
      await expect(page.locator(hidden).first(), hidden).toBeHidden();
    }
    await expect(page.getByLabel('Plan title')).toBeVisible();
    // Column labels print as text (Chrome leaves buttons out of headers repeated per page).
    const label = await page.locator('th.col-item').evaluate((th) => getComputedStyle(th, '::before').content);
    expect(label).toBe('"Item"');
    await expect(page.getByTestId('readiness')).toBeVisible();
    const rows = editor.rows();
    const count = await rows.count();
    for (let i = 0; i < count; i++) await expect(rows.nth(i)).toBeVisible();

    // Notes are wrapped in full, not cut off at the box.
    const notes = editor.cell(2, 'notes');
    const fits = await notes.evaluate((el) => el.scrollHeight <= el.clientHeight + 2);
    expect(fits, 'the long note is fully visible').toBe(true);

    // Every FAQ answer prints, open or not.
    const answers = page.locator('.faq-answer');
    expect(await answers.count()).toBeGreaterThanOrEqual(8);
    for (let i = 0; i < (await answers.count()); i++) await expect(answers.nth(i)).toBeVisible();

    // And it is a real PDF of a few pages.
    const pdf = await page.pdf({ format: 'A4', landscape: true });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  });

  test('the light palette prints even in dark mode', async ({ editor, page }) => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await editor.goto();
    const screenBg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(screenBg).not.toBe('rgb(255, 255, 255)');
    await page.emulateMedia({ colorScheme: 'dark', media: 'print' });
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(255, 255, 255)');
    expect(await page.evaluate(() => getComputedStyle(document.body).color)).toBe('rgb(0, 0, 0)');
  });
});
