import { test, expect } from './fixtures';

// A plan saved before the advice was corrected: row t10 still says what the old template said.
const OLD_ITEM = 'Make every upload safe to retry';
const OLD_NOTES =
  'Give each mutation a client-generated id; the server remembers the last one it applied for each client and ignores repeats.';

function savedWithOldAdvice() {
  return JSON.stringify({
    schema: 2,
    revision: 1,
    writer: 'old-tab',
    saved_at: '2026-10-01T09:30:00Z',
    active: 'main',
    plans: [
      {
        id: 'main',
        plan: {
          schema: 1,
          title: 'Saved last month',
          rows: [
            { id: 't10', item: OLD_ITEM, category: 'Offline queue', priority: 'P1', owner: 'Ana', status: 'In progress', notes: OLD_NOTES },
            { id: 'mine', item: 'My own row', category: 'Testing', priority: 'P2', owner: '', status: 'Not started', notes: 'Nobody changes this.' },
          ],
        },
      },
    ],
  });
}

test.describe('template content', () => {
  test('a saved plan is never rewritten; old advice can be updated, and undone', async ({ editor, page }) => {
    await editor.seed(savedWithOldAdvice());
    await editor.goto();
    // The saved text is shown as it was saved.
    await expect(editor.text(1, 'notes')).toHaveText(OLD_NOTES);
    const offer = editor.row(1).getByRole('button', { name: 'Update this row to the current advice' });
    await expect(offer).toBeVisible();
    await expect(editor.row(2).getByRole('button', { name: 'Update this row to the current advice' })).toHaveCount(0);

    await offer.click();
    await expect(editor.text(1, 'notes')).toHaveText(/idempotency key/);
    await expect(editor.text(1, 'owner')).toHaveText('Ana');
    await expect(editor.text(1, 'priority')).toHaveText('P1');
    await expect(editor.text(1, 'status')).toHaveText('In progress');
    await expect(offer).toHaveCount(0);

    await page.keyboard.press('Control+z');
    await expect(editor.text(1, 'notes')).toHaveText(OLD_NOTES);
    await expect(editor.text(1, 'item')).toHaveText(OLD_ITEM);
  });

  test('every FAQ answer shows its sources and the page says when it was checked', async ({ editor, page }) => {
    await editor.goto();
    await expect(page.locator('.faq')).toContainText('6 Dec 2026');
    const answers = page.locator('.faq-item');
    const n = await answers.count();
    expect(n).toBeGreaterThanOrEqual(13);
    for (let i = 0; i < n; i++) {
      const links = answers.nth(i).locator('.faq-sources a');
      expect(await links.count()).toBeGreaterThan(0);
      for (const href of await links.evaluateAll((els) => els.map((e) => e.getAttribute('href')))) {
        expect(href).toMatch(/^https:\/\//);
      }
    }
  });

  test('the FAQ stays as the server rendered it, and its text is not shipped twice in the WASM', async ({ editor, page }) => {
    await editor.goto();
    const question = 'How do I handle sync when the app has been in the background for days?';
    await expect(page.locator('.faq-item summary').first()).toHaveText(question);
    const wasm = await page.evaluate(() =>
      performance.getEntriesByType('resource').map((e) => e.name).find((n) => n.endsWith('.wasm')),
    );
    expect(wasm).toBeTruthy();
    const bytes = (await (await page.request.get(wasm!)).body()).toString('latin1');
    // The checklist is data the editor needs; the FAQ is only ever hydrated.
    expect(bytes).toContain('Map every sync trigger');
    expect(bytes).not.toContain(question);
  });

  test('numbers a tool wrote where text belongs are read as the server reads them', async ({ editor, page }) => {
    // Raw JSON: the numbers must reach the page as numbers, not as strings.
    const doc = `{"schema":2,"revision":1,"writer":"tool","saved_at":"2026-10-01T09:30:00Z","active":"main",
      "plans":[{"id":"main","plan":{"schema":1,"title":"Numbers","rows":[
        {"id":"n1","item":1e21,"category":"Testing","priority":"P2","owner":2.5,"status":"Not started","notes":1.5e-7},
        {"id":"n2","item":-2.50e-10,"category":"Testing","priority":"P2","owner":42,"status":"Not started","notes":0.1}]}}]}`;
    await editor.seed(doc);
    await editor.goto();
    await expect(editor.text(1, 'item')).toHaveText('1000000000000000000000');
    await expect(editor.text(1, 'owner')).toHaveText('2.5');
    await expect(editor.text(1, 'notes')).toHaveText('0.00000015');
    await expect(editor.text(2, 'item')).toHaveText('-0.00000000025');
    await expect(editor.text(2, 'owner')).toHaveText('42');
    await expect(editor.text(2, 'notes')).toHaveText('0.1');
  });
});
