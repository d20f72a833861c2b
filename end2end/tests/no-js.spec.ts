import { test, expect } from '@playwright/test';

// This project runs with JavaScript disabled: the server-rendered page must stand alone.
test('the table and the FAQ are readable without JavaScript', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Background sync planning template');
  const rows = page.locator('table.plan-table tbody tr');
  expect(await rows.count()).toBeGreaterThanOrEqual(25);
  await expect(rows.nth(0).locator('td[data-col="item"] .cell-text')).toHaveText('Map every sync trigger');
  await expect(rows.nth(0).locator('td[data-col="priority"]')).toHaveText('P0');
  await expect(rows.nth(0).locator('td[data-col="status"]')).toHaveText('Not started');
  await expect(rows.nth(0).locator('td[data-col="notes"]')).toHaveText(/List when sync runs/);
  await expect(page.locator('thead th')).toHaveText(['#', 'Item', 'Category', 'Priority', 'Owner', 'Status', 'Notes']);
  await expect(rows.nth(4).locator('.col-num')).toHaveText('5');
  // The export menu works without JavaScript too: a form post per format.
  await page.locator('details.export-menu summary').click();
  await expect(page.getByRole('button', { name: 'Google Sheets (CSV)', exact: true })).toBeVisible();
  // Playwright disables scripts but not the parser's scripting flag, so <noscript> stays
  // raw text here; a browser with JavaScript off shows it.
  const notes = (await page.locator('noscript').allTextContents()).join('\n');
  expect(notes).toContain('JavaScript is off');
  // The import panel is loaded by JavaScript, so without it the menu says why it is empty.
  expect(notes).toContain('Importing a file needs JavaScript');
});

test('the FAQ opens and closes without JavaScript', async ({ page }) => {
  await page.goto('/');
  const items = page.locator('details.faq-item');
  expect(await items.count()).toBeGreaterThanOrEqual(8);
  const first = items.first();
  const answer = first.locator('.faq-answer');
  await expect(answer).toBeHidden();
  await first.locator('summary').click();
  await expect(answer).toBeVisible();
  await expect(answer).toContainText('sync token');
  // Each answer ends with its sources, plain links that work without JavaScript.
  await expect(answer.locator('.faq-sources a').first()).toHaveAttribute('href', /^https:\/\//);
  await first.locator('summary').click();
  await expect(answer).toBeHidden();
  // Every answer is in the page for readers and search.
  const texts = await page.locator('.faq-answer').allTextContents();
  expect(texts.every((t) => t.length > 100)).toBe(true);
});

test('a category link opens its FAQ answer without JavaScript', async ({ page }) => {
  await page.goto('/');
  await page.locator('table.plan-table tbody tr').nth(5).locator('.faq-link').click();
  await expect(page).toHaveURL(/#faq-conflicts-answer$/);
  await expect(page.locator('#faq-conflicts .faq-answer')).toBeVisible();
});

test('an edit link without JavaScript says it needs it and links the read-only view', async ({ page }) => {
  const id = 'AAAAAAAAAAAAAAAAAAAAAA';
  const response = await page.goto(`/e/${id}#secret`);
  expect(response?.status()).toBe(200);
  // Read as markup: <noscript> may be raw text under Playwright (see above).
  const texts = await page.locator('noscript').evaluateAll((els) => els.map((e) => e.innerHTML));
  const notice = texts.find((t) => t.includes('edit link'));
  expect(notice).toContain('needs JavaScript');
  expect(notice).toContain(`href="/s/${id}"`);
});
