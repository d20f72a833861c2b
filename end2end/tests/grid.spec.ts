import { test, expect, type Editor } from './fixtures';
import type { Page } from '@playwright/test';

/** Puts text (and HTML) on the system clipboard, as another app's copy would. */
async function clipboardHolds(page: Page, text: string, html?: string) {
  await page.evaluate(
    async ([text, html]) => {
      const parts: Record<string, Blob> = { 'text/plain': new Blob([text], { type: 'text/plain' }) };
      if (html) parts['text/html'] = new Blob([html], { type: 'text/html' });
      await navigator.clipboard.write([new ClipboardItem(parts)]);
    },
    [text, html ?? ''] as const,
  );
}

async function clipboard(page: Page) {
  return page.evaluate(async () => {
    const item = (await navigator.clipboard.read())[0];
    return {
      types: item.types,
      text: await (await item.getType('text/plain')).text(),
      html: item.types.includes('text/html') ? await (await item.getType('text/html')).text() : '',
    };
  });
}

async function focusedCell(page: Page): Promise<[number, string]> {
  return page.evaluate(() => {
    const td = document.activeElement as HTMLElement;
    const tr = td.closest('tr')!;
    const rows = [...document.querySelectorAll('table.plan-table tbody tr')];
    return [rows.indexOf(tr) + 1, td.getAttribute('data-col') ?? ''];
  });
}

async function texts(editor: Editor, col: string): Promise<string[]> {
  return editor.page
    .locator(`table.plan-table tbody td[data-col="${col}"]`)
    .evaluateAll((els) => els.map((e) => ((e.querySelector('.cell-text, .pill') ?? e).textContent ?? '')));
}

test.describe('the plan first', () => {
  test.use({ viewport: { width: 1440, height: 900 } });

  test('on a laptop the first rows are on screen at load', async ({ editor, page }) => {
    await editor.goto();
    for (const n of [1, 2, 3]) await expect(editor.row(n)).toBeInViewport();
    // The FAQ stays beside the table.
    const table = await page.locator('.table-wrap').boundingBox();
    const faq = await page.locator('.guidance').boundingBox();
    expect(faq!.x).toBeGreaterThan(table!.x + table!.width - 1);
  });

  test("columns fit the template's values: no category, priority or status is clipped or wrapped", async ({ editor, page }) => {
    await editor.goto();
    const problems = await page.evaluate(() => {
      const bad: string[] = [];
      for (const col of ['category', 'priority', 'status']) {
        for (const el of document.querySelectorAll(`table.plan-table tbody td[data-col="${col}"] .cell-text, table.plan-table tbody td[data-col="${col}"] .pill`)) {
          const td = el.closest('td')!;
          const lines = (el as HTMLElement).getClientRects().length;
          if (el.scrollWidth > el.clientWidth + 1 || td.scrollWidth > td.clientWidth + 1 || lines > 1) {
            bad.push(`${col}: ${el.textContent}`);
          }
        }
      }
      return bad;
    });
    expect(problems).toEqual([]);
  });

  test('a column can be resized and keeps its width for this plan', async ({ editor, page }) => {
    await editor.goto();
    const header = page.locator('th.col-owner');
    const before = (await header.boundingBox())!.width;
    const handle = header.locator('.col-resize');
    const box = (await handle.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 80, box.y + box.height / 2, { steps: 4 });
    await page.mouse.up();
    const after = (await header.boundingBox())!.width;
    expect(after).toBeGreaterThan(before + 60);
    await editor.reload();
    expect((await page.locator('th.col-owner').boundingBox())!.width).toBeCloseTo(after, 0);
    // The keyboard works too: Home puts the default back.
    await page.locator('th.col-owner .col-resize').focus();
    await page.keyboard.press('Home');
    await expect.poll(async () => (await page.locator('th.col-owner').boundingBox())!.width).toBeCloseTo(before, 0);
  });
});

test.describe('spreadsheet keyboard', () => {
  test('arrows, Home and End, Ctrl+Home and Ctrl+End, Page Up and Page Down move the active cell', async ({ editor, page }) => {
    await editor.goto();
    const n = await editor.rows().count();
    await editor.cell(2, 'category').click();
    await expect(editor.cell(2, 'category')).toBeFocused();
    await expect(editor.cell(2, 'category')).toHaveAttribute('tabindex', '0');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => focusedCell(page)).toEqual([2, 'priority']);
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => focusedCell(page)).toEqual([3, 'priority']);
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => focusedCell(page)).toEqual([2, 'category']);
    await page.keyboard.press('End');
    await expect.poll(() => focusedCell(page)).toEqual([2, 'notes']);
    await page.keyboard.press('Home');
    await expect.poll(() => focusedCell(page)).toEqual([2, 'item']);
    await page.keyboard.press('Control+End');
    await expect.poll(() => focusedCell(page)).toEqual([n, 'notes']);
    await page.keyboard.press('Control+Home');
    await expect.poll(() => focusedCell(page)).toEqual([1, 'item']);
    await page.keyboard.press('PageDown');
    await expect.poll(() => focusedCell(page)).toEqual([11, 'item']);
    await page.keyboard.press('PageUp');
    await expect.poll(() => focusedCell(page)).toEqual([1, 'item']);
    // Tab goes right, and wraps to the next row.
    await page.keyboard.press('End');
    await page.keyboard.press('Tab');
    await expect.poll(() => focusedCell(page)).toEqual([2, 'item']);
    await page.keyboard.press('Shift+Tab');
    await expect.poll(() => focusedCell(page)).toEqual([1, 'notes']);
  });

  test('typing replaces, Enter and F2 edit in place, Escape restores, Enter goes down, Tab right', async ({ editor, page }) => {
    await editor.goto();
    const owner = editor.text(1, 'owner');
    await editor.cell(1, 'owner').click();
    await page.keyboard.type('Priya');
    await expect(editor.editorBox()).toHaveValue('Priya');
    await page.keyboard.press('Enter');
    await expect(owner).toHaveText('Priya');
    await expect.poll(() => focusedCell(page)).toEqual([2, 'owner']);

    // Enter edits in place, keeping the text; the edit goes on at the end.
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await expect(editor.editorBox()).toHaveValue('Priya');
    await page.keyboard.type(' S.');
    await page.keyboard.press('Tab');
    await expect(owner).toHaveText('Priya S.');
    await expect.poll(() => focusedCell(page)).toEqual([1, 'status']);

    // F2 too; Escape puts the text back and leaves no undo step behind.
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('F2');
    await page.keyboard.press('Control+a');
    await page.keyboard.type('Somebody else');
    await expect(owner).toHaveText('Somebody else');
    await page.keyboard.press('Escape');
    await expect(editor.editorBox()).toHaveCount(0);
    await expect(owner).toHaveText('Priya S.');
    await expect.poll(() => focusedCell(page)).toEqual([1, 'owner']);
    await page.keyboard.press('Control+z');
    await expect(owner).toHaveText('Priya');

    // Priority and Status take their values typed, in any case; a wrong one is explained.
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.type('p3');
    await page.keyboard.press('Enter');
    await expect(editor.text(1, 'priority')).toHaveText('P3');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.type('urgent-ish');
    await page.keyboard.press('Enter');
    await expect(page.locator('.grid-problem')).toContainText('"urgent-ish" is not a priority');
    await expect(editor.editorBox()).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(editor.text(1, 'priority')).toHaveText('P3');

    // Notes: Alt+Enter is a line break, Enter ends the edit.
    await page.keyboard.press('End');
    await page.keyboard.type('first');
    await page.keyboard.press('Alt+Enter');
    await page.keyboard.type('second');
    await page.keyboard.press('Enter');
    await expect(editor.text(1, 'notes')).toHaveText('first\nsecond');

    // Double-click edits too.
    await editor.cell(3, 'item').dblclick();
    await expect(editor.editorBox()).toBeVisible();
    await page.keyboard.press('Escape');
  });

  test('Delete clears the selected cells as one undoable step', async ({ editor, page }) => {
    await editor.goto();
    await editor.cell(1, 'item').click();
    await page.keyboard.press('Shift+ArrowDown');
    await page.keyboard.press('Shift+ArrowRight');
    await expect(editor.row(1)).toHaveAttribute('data-sel', 'item category');
    await expect(editor.row(2)).toHaveAttribute('data-sel', 'item category');
    const before = await texts(editor, 'item');
    await page.keyboard.press('Delete');
    await expect(editor.text(1, 'item')).toHaveText('');
    await expect(editor.text(2, 'category')).toHaveText('');
    await expect(page.getByTestId('announcer')).toContainText('Cleared 4 cells');
    await page.keyboard.press('Control+z');
    expect(await texts(editor, 'item')).toEqual(before);
    // Escape collapses the range.
    await page.keyboard.press('Escape');
    await expect(editor.row(2)).not.toHaveAttribute('data-sel', /./);
  });
});

test.describe('copy and paste', () => {
  test.beforeEach(async ({ context }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  });

  test('a range copies as TSV and HTML', async ({ editor, page }) => {
    await editor.goto();
    await editor.set(1, 'notes', 'plain');
    await editor.set(2, 'notes', 'two\nlines');
    await editor.cell(1, 'owner').click();
    await page.keyboard.press('Shift+ArrowDown');
    await page.keyboard.press('Shift+End');
    await page.keyboard.press('Control+c');
    await expect(page.getByTestId('announcer')).toContainText('Copied 2 rows by 3 columns');
    const copied = await clipboard(page);
    expect(copied.types).toEqual(expect.arrayContaining(['text/plain', 'text/html']));
    expect(copied.text).toBe('\tNot started\tplain\n\tNot started\t"two\nlines"\n');
    expect(copied.html).toContain('<td>two<br>lines</td>');
    expect(copied.html.match(/<tr>/g)).toHaveLength(2);
  });

  test('a 3×4 block from a spreadsheet fills cells, adds rows, and undoes in one step', async ({ editor, page }) => {
    await editor.goto();
    const n = await editor.rows().count();
    const before = await texts(editor, 'item');
    await editor.cell(n - 1, 'item').click();
    // As Google Sheets copies it: a quoted cell keeps its line break.
    await clipboardHolds(page, 'Queue writes\tOffline queue\thigh\n"Retry, with\njitter"\tBattery\tp0\nNew row\tTesting\tP3\nAnother\tSecurity\tlow\n');
    await page.keyboard.press('Control+v');
    await expect(editor.rows()).toHaveCount(n + 2);
    await expect(editor.text(n - 1, 'item')).toHaveText('Queue writes');
    await expect(editor.text(n - 1, 'priority')).toHaveText('P1');
    await expect(editor.text(n, 'item')).toHaveText('Retry, with\njitter');
    await expect(editor.text(n, 'priority')).toHaveText('P0');
    await expect(editor.text(n + 1, 'category')).toHaveText('Testing');
    await expect(editor.text(n + 2, 'priority')).toHaveText('P3');
    await expect(page.getByTestId('announcer')).toContainText('Pasted 4 rows by 3 columns; 2 rows added');
    await page.keyboard.press('Control+z');
    await expect(editor.rows()).toHaveCount(n);
    expect(await texts(editor, 'item')).toEqual(before);
  });

  test('an HTML table from a spreadsheet fills the right cells', async ({ editor, page }) => {
    await editor.goto();
    await editor.cell(2, 'owner').click();
    const html = '<meta charset="utf-8"><google-sheets-html-origin><table><tbody>' +
      '<tr><td>Kim</td><td>Done</td><td>Line one<br>Line two</td></tr>' +
      '<tr><td>Lee &amp; Co</td><td>in progress</td><td></td></tr></tbody></table>';
    await clipboardHolds(page, 'Kim\tDone\tLine one Line two\nLee & Co\tin progress\t', html);
    await page.keyboard.press('Control+v');
    await expect(editor.text(2, 'owner')).toHaveText('Kim');
    await expect(editor.text(2, 'status')).toHaveText('Done');
    await expect(editor.text(2, 'notes')).toHaveText('Line one\nLine two');
    await expect(editor.text(3, 'owner')).toHaveText('Lee & Co');
    await expect(editor.text(3, 'status')).toHaveText('In progress');
    await expect(editor.text(3, 'notes')).toHaveText('');
  });

  test('a bad Priority in a pasted block is reported and nothing is applied', async ({ editor, page }) => {
    await editor.goto();
    const before = await texts(editor, 'item');
    await editor.cell(1, 'item').click();
    await clipboardHolds(page, 'Changed one\tSync triggers\tP1\nChanged two\tBattery\turgent-ish\n');
    await page.keyboard.press('Control+v');
    await expect(page.locator('.grid-problem')).toContainText('Nothing was pasted: Row 2, Priority: "urgent-ish" is not a priority');
    expect(await texts(editor, 'item')).toEqual(before);
    await expect(editor.button('Undo')).toHaveAttribute('aria-disabled', 'true');
  });

  test('pasting while a cell is being edited pastes text into it', async ({ editor, page }) => {
    await editor.goto();
    await editor.cell(1, 'owner').click();
    await page.keyboard.press('F2');
    await clipboardHolds(page, 'Pat');
    await page.keyboard.press('Control+v');
    await expect(editor.editorBox()).toHaveValue('Pat');
    await page.keyboard.press('Enter');
    await expect(editor.text(1, 'owner')).toHaveText('Pat');
    await expect(editor.rows()).toHaveCount((await texts(editor, 'item')).length);
  });
});
