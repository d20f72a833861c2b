import { test, expect } from './fixtures';

const NASTY = [
  '<script>window.__xss=1</script>',
  '<img src=x onerror="window.__xss=1">',
  'javascript:window.__xss=1',
  '"><svg onload=window.__xss=1>',
];

test('user text stays text in the editor, the share page and the Markdown export', async ({ editor, page, browser, consoleGuard }) => {
  const response = await page.goto('/');
  const csp = response?.headers()['content-security-policy'] ?? '';
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval' 'sha256-");
  expect(csp).not.toContain("'unsafe-inline'");
  await editor.ready();

  await page.getByLabel('Plan title').fill(`</title>${NASTY[0]}`);
  for (const [i, text] of NASTY.entries()) {
    for (const col of ['item', 'category', 'owner', 'notes']) {
      await editor.set(i + 1, col, text);
    }
  }
  await expect.poll(async () => (await editor.stored())?.plans?.[0]?.plan?.rows?.[3]?.notes).toBe(NASTY[3]);
  await editor.reload();
  for (const [i, text] of NASTY.entries()) {
    await expect(editor.text(i + 1, 'notes')).toHaveText(text);
  }
  await editor.row(2).locator('.faq-link').click();
  expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();

  // The shared page shows the same text, inert.
  await page.getByRole('button', { name: 'Share…' }).click();
  await page.getByRole('button', { name: 'Create link' }).click();
  const url = await page.locator('#share-url').inputValue();
  const viewer = await (await browser.newContext()).newPage();
  viewer.on('console', (m) => { if (m.type() === 'error') consoleGuard.problems.push(`viewer: ${m.text()}`); });
  await viewer.goto(url);
  await viewer.locator('body[data-hydrated="true"]').waitFor();
  await expect(viewer.locator('table.plan-table tbody tr').first()).toContainText(NASTY[0]);
  expect(await viewer.title()).toContain('‹/title›');
  expect(await viewer.evaluate(() => (window as any).__xss)).toBeUndefined();
  await expect(viewer.locator('table.plan-table img, table.plan-table svg, table.plan-table a[href^="javascript"]')).toHaveCount(0);

  // Markdown keeps it as text too.
  await page.getByRole('button', { name: 'Close' }).click();
  await editor.openExport();
  const waiting = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Notion (Markdown page)', exact: true }).click();
  const fs = await import('node:fs');
  const md = fs.readFileSync(await (await waiting).path(), 'utf8');
  expect(md).not.toContain('<script');
  expect(md).not.toContain('<img');
  expect(md).toContain('&lt;script&gt;');
});
