import { test, expect } from './fixtures';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';

/** Serious and critical axe-core findings on the page as it is now. */
async function seriousIssues(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

/** A share link for a plan that exercises the summary: statuses, a hint, a missing category. */
async function sharedPlanUrl(page: Page): Promise<string> {
  const rows = [
    ['Map every sync trigger', 'Sync triggers', 'P0', 'Done'],
    ['Poll every 5 min in the background', 'Platform constraints', 'P1', 'Blocked'],
    ['Idempotent uploads', 'Offline queue', 'P0', 'In progress'],
    ['Harness with 1,000 offline edits', 'Testing', 'P0', 'Not started'],
  ].map(([item, category, priority, status], i) => ({ id: `r${i}`, item, category, priority, owner: 'Sam', status, notes: 'Some notes' }));
  const response = await page.request.post('/api/shares', {
    data: { schema: 1, title: 'Accessibility check plan', rows },
  });
  expect(response.status()).toBe(201);
  return (await response.json()).url;
}

for (const colorScheme of ['light', 'dark'] as const) {
  test.describe(`axe-core, ${colorScheme} theme`, () => {
    test.use({ colorScheme });

    test('the editor has no serious or critical issue', async ({ editor, page }) => {
      // Four full axe-core scans of the editor take 20-30 s on a busy 2-core machine: a slow
      // machine must not fail the test.
      test.setTimeout(90_000);
      await editor.goto();
      // With a hint, a filter chip, a sort and a flagged category on screen too.
      await editor.set(9, 'notes', 'Retry every 5 min in the background');
      await editor.set(25, 'category', 'Observability');
      await editor.set(26, 'category', 'Observability');
      await editor.set(3, 'status', 'Blocked');
      await editor.set(1, 'status', 'Done');
      await page.locator('th.col-priority').getByRole('button').click();
      await expect(page.getByTestId('gaps')).toContainText('No Testing item yet');
      expect(await seriousIssues(page)).toEqual([]);
      await editor.openReadiness();
      await page.getByRole('button', { name: /^Blocked 1$/ }).click();
      expect(await seriousIssues(page)).toEqual([]);
      // With a range selected and the cell editor open.
      await page.getByRole('button', { name: /^Blocked 1$/ }).click();
      await editor.cell(2, 'item').click();
      await page.keyboard.press('Shift+ArrowRight');
      await page.keyboard.press('Shift+ArrowDown');
      expect(await seriousIssues(page)).toEqual([]);
      await page.keyboard.press('F2');
      await expect(editor.editorBox()).toBeVisible();
      expect(await seriousIssues(page)).toEqual([]);
    });

    test('the share page has no serious or critical issue', async ({ page, editor }) => {
      const url = await sharedPlanUrl(page);
      await page.goto(new URL(url).pathname);
      await editor.ready();
      await expect(page.getByRole('heading', { level: 1 })).toHaveText('Accessibility check plan');
      await expect(page.locator('.row-hints')).toContainText('every 5 min');
      expect(await seriousIssues(page)).toEqual([]);
    });
  });
}

test('the share page shows the readiness summary and filters read-only', async ({ page, editor }) => {
  const url = await sharedPlanUrl(page);
  // Server-rendered: the summary is in the HTML itself.
  const html = await (await page.request.get(new URL(url).pathname)).text();
  expect(html).toContain('1 of 3 P0 items done');
  expect(html).toMatch(/<svg[^>]*class="bar status-bar"/);
  expect(html).toContain('No Security item yet');
  await page.goto(new URL(url).pathname);
  await editor.ready();
  await expect(page.getByTestId('p0-line')).toHaveText('1 of 3 P0 items done');
  // No "add" buttons on a read-only page.
  await expect(page.getByRole('button', { name: /^Add a / })).toHaveCount(0);
  await page.locator('details.readiness-more summary').click();
  await page.getByRole('button', { name: /^Offline queue: / }).click();
  await expect(page.locator('table.plan-table tbody tr:not([hidden])')).toHaveCount(1);
  await page.locator('th.col-item').getByRole('button').click();
  await expect(page.locator('th.col-item')).toHaveAttribute('aria-sort', 'ascending');
});

test('keyboard alone: filter, sort, edit, move and delete, with announcements', async ({ editor, page }) => {
  await editor.goto();
  // From the top of the page, Tab reaches the filter box.
  await page.locator('body').focus();
  let reached = false;
  for (let i = 0; i < 80 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement?.id === 'row-filter');
  }
  expect(reached, 'Tab reaches the filter box').toBe(true);
  const total = await editor.rows().count();
  await page.keyboard.type('battery');
  // The announcement counts the rows the filter really shows.
  const shown = await page.locator('table.plan-table tbody tr:not([hidden])').count();
  expect(shown).toBeGreaterThan(0);
  expect(shown).toBeLessThan(total);
  await expect(page.getByTestId('announcer')).toHaveText(`Showing ${shown} of ${total} rows.`);
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('announcer')).toHaveText('Showing every row.');
  // Next stops: the sort buttons in the header (and their resize handles), then the grid,
  // which is one Tab stop: its active cell.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Row number: show plan order' })).toBeFocused();
  await page.keyboard.press('Tab');
  const itemSort = page.locator('th.col-item').getByRole('button');
  await expect(itemSort).toBeFocused();
  // Sort by Item from the keyboard: A to Z, then Z to A, each announced and really ordered.
  const planOrder = await editor.items();
  const byName = [...planOrder].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' }));
  await page.keyboard.press('Enter');
  await expect(page.locator('th.col-item')).toHaveAttribute('aria-sort', 'ascending');
  await expect(page.getByTestId('announcer')).toHaveText('Showing every row. Sorted by Item, A to Z.');
  expect(await editor.items()).toEqual(byName);
  await page.keyboard.press('Enter');
  await expect(page.locator('th.col-item')).toHaveAttribute('aria-sort', 'descending');
  expect(await editor.items()).toEqual([...byName].reverse());
  // Back to plan order with the # header's button.
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('announcer')).toHaveText('Showing every row. In plan order.');
  expect(await editor.items()).toEqual(planOrder);
  await page.keyboard.press('Tab');
  await expect(itemSort).toBeFocused();
  let inGrid = false;
  for (let i = 0; i < 20 && !inGrid; i++) {
    await page.keyboard.press('Tab');
    inGrid = await page.evaluate(() => document.activeElement?.matches('td[data-col]') ?? false);
  }
  expect(inGrid, 'Tab reaches the grid').toBe(true);
  await expect(editor.cell(1, 'item')).toBeFocused();
  await page.keyboard.type('Keyboard-only edit');
  await page.keyboard.press('Enter');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Alt+ArrowDown');
  await expect(page.getByTestId('announcer')).toContainText('"Keyboard-only edit" moved to row 2');
  await page.keyboard.press('Control+Shift+Backspace');
  await expect(page.getByTestId('announcer')).toContainText('"Keyboard-only edit" (row 2) deleted');
  await page.keyboard.press('Control+z');
  await expect(editor.text(2, 'item')).toHaveText('Keyboard-only edit');
});

for (const [colorScheme, dark] of [['light', false], ['dark', true]] as const) {
  test(`the ${colorScheme} theme follows the system with strong contrast`, async ({ editor, page }) => {
    await page.emulateMedia({ colorScheme });
    await editor.goto();
    const colours = await page.evaluate(() => {
      const parse = (c: string) => c.match(/\d+(\.\d+)?/g)!.slice(0, 3).map(Number);
      const lum = (c: string) => {
        const [r, g, b] = parse(c).map((v) => {
          const s = v / 255;
          return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
      };
      const ratio = (a: string, b: string) => {
        const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
        return (x + 0.05) / (y + 0.05);
      };
      const style = (sel: string) => getComputedStyle(document.querySelector(sel)!);
      const surface = style('.plan').backgroundColor;
      return {
        background: lum(style('body').backgroundColor),
        text: ratio(style('body').color, surface),
        muted: ratio(style('.p0-line .muted').color, surface),
        link: ratio(style('.faq-link').color, surface),
      };
    });
    if (dark) expect(colours.background).toBeLessThan(0.05);
    else expect(colours.background).toBeGreaterThan(0.8);
    expect(colours.text).toBeGreaterThanOrEqual(7);
    expect(colours.muted).toBeGreaterThanOrEqual(4.5);
    expect(colours.link).toBeGreaterThanOrEqual(4.5);
  });
}
