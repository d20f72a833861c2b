import { test, expect, type Editor } from './fixtures';
import type { Page } from '@playwright/test';

/** Rows the filter lets through. */
function visibleRows(page: Page) {
  return page.locator('table.plan-table tbody tr:not([hidden])');
}

/** Row numbers of the template rows whose category is `name`. */
async function rowsOf(editor: Editor, name: string): Promise<number[]> {
  const values = await editor.page
    .locator('table.plan-table tbody td[data-col="category"] .cell-text')
    .evaluateAll((els) => els.map((e) => e.textContent ?? ''));
  return values.flatMap((v, i) => (v === name ? [i + 1] : []));
}

test.describe('readiness summary', () => {
  test('counts P0 items done and updates as cells change', async ({ editor, page }) => {
    await editor.goto();
    const headline = page.getByTestId('p0-line');
    const match = (await headline.textContent())!.match(/^0 of (\d+) P0 items done$/);
    expect(match, 'server-rendered headline').not.toBeNull();
    const p0Total = Number(match![1]);
    expect(p0Total).toBeGreaterThanOrEqual(5);

    // Row 1 is a P0: finishing it counts.
    await editor.set(1, 'status', 'Done');
    await expect(headline).toHaveText(`1 of ${p0Total} P0 items done`);
    await editor.openReadiness();
    await expect(page.getByRole('button', { name: /^Done 1$/ })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Sync triggers: 1 of 6 done' })).toBeVisible();

    // Demoting it removes it from the P0 count.
    await editor.set(1, 'priority', 'P1');
    await expect(headline).toHaveText(`0 of ${p0Total - 1} P0 items done`);

    await editor.button('Undo').click();
    await expect(headline).toHaveText(`1 of ${p0Total} P0 items done`);
  });

  test('flags a category with no row and adds one in a click', async ({ editor, page }) => {
    await editor.goto();
    const gaps = page.getByTestId('gaps');
    await expect(gaps).toHaveCount(0);
    for (const n of await rowsOf(editor, 'Testing')) {
      await editor.set(n, 'category', 'Observability');
    }
    await expect(gaps).toContainText('No Testing item yet');
    const count = await editor.rows().count();
    await page.getByRole('button', { name: 'Add a Testing item' }).click();
    await expect(editor.rows()).toHaveCount(count + 1);
    await expect(editor.text(count + 1, 'category')).toHaveText('Testing');
    await expect(editor.cell(count + 1, 'item')).toBeFocused();
    await expect(gaps).toHaveCount(0);
  });

  test('a category bar filters the table; the chip clears it', async ({ editor, page }) => {
    await editor.goto();
    const total = await editor.rows().count();
    const security = await rowsOf(editor, 'Security');
    await editor.openReadiness();
    const bar = page.getByRole('button', { name: /^Security: 0 of \d+ done$/ });
    await bar.click();
    await expect(bar).toHaveAttribute('aria-pressed', 'true');
    await expect(visibleRows(page)).toHaveCount(security.length);
    await expect(page.getByTestId('filter-count')).toHaveText(`Showing ${security.length} of ${total} rows`);
    // Row numbers stay the plan's.
    await expect(visibleRows(page).first().locator('.col-num')).toHaveText(String(security[0]));
    await expect(page.getByTestId('announcer')).toContainText(`Showing ${security.length} of ${total} rows`);

    await page.getByRole('button', { name: 'Category: Security. Remove this filter' }).click();
    await expect(visibleRows(page)).toHaveCount(total);
    await expect(bar).toHaveAttribute('aria-pressed', 'false');
  });

  test('a status filter and the text filter combine; rows added later still show', async ({ editor, page }) => {
    await editor.goto();
    const total = await editor.rows().count();
    await editor.set(3, 'status', 'Blocked');
    await editor.set(7, 'status', 'Blocked');
    await editor.openReadiness();
    await page.getByRole('button', { name: /^Blocked 2$/ }).click();
    await expect(visibleRows(page)).toHaveCount(2);

    const item7 = (await editor.text(7, 'item').textContent())!;
    const filter = page.getByLabel('Filter rows');
    await filter.fill(item7.toUpperCase());
    await expect(visibleRows(page)).toHaveCount(1);
    await expect(visibleRows(page).locator('td[data-col="item"] .cell-text')).toHaveText(item7);

    // Escape empties the box; the status filter stays.
    await filter.press('Escape');
    await expect(filter).toHaveValue('');
    await expect(visibleRows(page)).toHaveCount(2);

    // A row added while filtering is not hidden by the filter.
    await editor.button('+ Add row').click();
    await expect(visibleRows(page)).toHaveCount(3);
    await expect(page.getByTestId('filter-count')).toHaveText(`Showing 3 of ${total + 1} rows`);

    await page.getByRole('button', { name: /^Blocked 2$/ }).click();
    await expect(visibleRows(page)).toHaveCount(total + 1);
  });

  test('no match says so and offers to show every row', async ({ editor, page }) => {
    await editor.goto();
    await page.getByLabel('Filter rows').fill('zzzz-no-such-words');
    await expect(visibleRows(page)).toHaveCount(0);
    await expect(page.getByText('No row matches the filter.')).toBeVisible();
    await page.getByRole('button', { name: 'Show every row' }).click();
    expect(await visibleRows(page).count()).toBeGreaterThanOrEqual(25);
  });

  test('arrow keys and Enter move past rows the filter hides', async ({ editor, page }) => {
    await editor.goto();
    await editor.openReadiness();
    await page.getByRole('button', { name: /^Platform constraints: / }).click();
    const shown = visibleRows(page);
    await expect(shown).not.toHaveCount(0);
    // Rows 2, 3, 18, 19, 28 and 38-40: from row 3, Down skips the 14 hidden rows.
    await expect(shown.locator('.col-num')).toHaveText(['2', '3', '18', '19', '28', '38', '39', '40']);
    await shown.nth(1).locator('td[data-col="owner"]').click();
    await page.keyboard.press('ArrowDown');
    await expect(shown.nth(2).locator('td[data-col="owner"]')).toBeFocused();
    // Editing: Enter keeps the text and moves down, past hidden rows too.
    await page.keyboard.type('Ana');
    await page.keyboard.press('Enter');
    await expect(shown.nth(2).locator('td[data-col="owner"]')).toHaveText('Ana');
    await expect(shown.nth(3).locator('td[data-col="owner"]')).toBeFocused();
  });
});

test.describe('sorting', () => {
  test('a header sorts ascending, descending, then back to plan order', async ({ editor, page }) => {
    await editor.goto();
    const before = await editor.items();
    const header = page.locator('th.col-priority');
    const priorities = () =>
      page
        .locator('table.plan-table tbody td[data-col="priority"] .pill')
        .evaluateAll((els) => els.map((e) => e.textContent ?? ''));

    await header.getByRole('button').click();
    await expect(header).toHaveAttribute('aria-sort', 'ascending');
    const asc = await priorities();
    expect(asc).toEqual([...asc].sort());
    await expect(page.getByTestId('announcer')).toContainText('Sorted by Priority, P0 first');

    // Keyboard works too.
    await header.getByRole('button').press('Enter');
    await expect(header).toHaveAttribute('aria-sort', 'descending');
    const desc = await priorities();
    expect(desc).toEqual([...desc].sort().reverse());

    await header.getByRole('button').click();
    await expect(header).not.toHaveAttribute('aria-sort');
    expect(await editor.items()).toEqual(before);
  });

  test('sorting changes the view, not the plan; moving a row returns to plan order', async ({ editor, page }) => {
    await editor.goto();
    const stored = await editor.storedItems();
    const before = await editor.items();
    await page.locator('th.col-item').getByRole('button').click();
    const sorted = await editor.items();
    const lower = (t: string) => t.toLowerCase();
    expect(sorted.map(lower)).toEqual(sorted.map(lower).sort());
    // The first row on screen keeps its plan number.
    const firstNumber = Number(await editor.row(1).locator('.col-num').textContent());
    expect(firstNumber).toBe(before.indexOf(sorted[0]) + 1);
    expect(firstNumber).toBeGreaterThan(1);
    // Sorting wrote nothing.
    expect(await editor.storedItems()).toEqual(stored);

    await editor.cell(1, 'owner').click();
    await editor.button('Move row down').click();
    await expect(page.locator('th.col-item')).not.toHaveAttribute('aria-sort');
    const after = await editor.items();
    expect(after[firstNumber]).toBe(sorted[0]);
  });
});

test.describe('platform hints', () => {
  test('a too-short background interval gets a hint that links to the FAQ', async ({ editor, page }) => {
    await editor.goto();
    await expect(page.locator('.row-hints')).toHaveCount(0);
    await editor.set(9, 'notes', 'Poll the server every 5 min in the background.');
    const hint = editor.row(9).locator('.row-hints');
    // No platform named: Android's minimum and iOS's caveat both apply.
    await expect(hint).toContainText('“every 5 min”: Android runs periodic background work at most every 15 minutes');
    await expect(hint).toContainText('“every 5 min”: iOS decides when background refresh runs');
    await hint.getByRole('link').first().click();
    await expect(page.locator('#faq-interval')).toHaveAttribute('open', '');
    await expect(page.locator('#faq-interval summary')).toBeFocused();

    // A row naming no platform runs on iOS too, where 30 minutes is only a wish.
    await editor.set(9, 'notes', 'Poll the server every 30 minutes in the background.');
    await expect(hint).toContainText('“every 30 minutes”: iOS decides when background refresh runs');
    await expect(hint).not.toContainText('Android runs');

    await editor.set(9, 'item', 'Android: WorkManager sync');
    await expect(editor.row(9).locator('.row-hints')).toHaveCount(0);

    await editor.set(9, 'item', 'iOS: BGAppRefreshTask every 20 minutes');
    await expect(editor.row(9).locator('.row-hints')).toContainText('iOS decides when background refresh runs');
  });
});
