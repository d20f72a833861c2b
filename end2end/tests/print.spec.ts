import { test, expect, join, stranger, turnOnEditing } from './fixtures';
import type { Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The page printed to A4 portrait, as the text of each printed page (poppler's pdftotext,
 * installed by `make test` with Chromium). */
async function printed(page: Page, scheme: 'light' | 'dark'): Promise<string[]> {
  await page.emulateMedia({ colorScheme: scheme, media: 'print' });
  const pdf = await page.pdf({ format: 'A4' });
  expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  const file = path.join(os.tmpdir(), `syncplan-print-${process.pid}-${Date.now()}.pdf`);
  fs.writeFileSync(file, pdf);
  try {
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    // Pages end with a form feed.
    return text.split('\f').slice(0, -1);
  } finally {
    fs.unlinkSync(file);
  }
}

const HEADER = /^\s*#\s+ITEM\s+CATEGORY\s+PRIORITY\s+OWNER\s+STATUS\s+NOTES\s*$/m;
const CONTROLS = ['Add row', 'Undo', 'Share…', 'Reset', 'Your name', 'Export', 'Import', 'Make a copy', 'Delete row'];

/**
 * What a person holding the paper sees: at most 8 pages; the column header as one line on
 * every page the table reaches; every row; no editing controls; the long note in full.
 */
async function expectAGoodPrintout(page: Page, items: string[], scheme: 'light' | 'dark', lastLine?: string) {
  const pages = await printed(page, scheme);
  expect(pages.length, `${scheme}: the template fits in 8 A4 pages`).toBeLessThanOrEqual(8);
  const all = pages.join('\n');
  // Every row is there: each item's first word, as many times as items start with it.
  const firstWords = new Map<string, number>();
  for (const item of items) {
    const w = item.split(/\s+/)[0];
    firstWords.set(w, (firstWords.get(w) ?? 0) + 1);
  }
  for (const [word, n] of firstWords) {
    const found = all.match(new RegExp(`\\b${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'g'))?.length ?? 0;
    expect(found, `"${word}" starts ${n} items`).toBeGreaterThanOrEqual(n);
  }
  // The header repeats on every page that holds rows: the pages up to the FAQ's heading,
  // each with a line that starts with a row number.
  const faq = pages.findIndex((p) => p.includes('Frequently asked questions'));
  expect(faq, 'the FAQ prints after the table').toBeGreaterThan(0);
  const tablePages = pages
    .slice(0, faq + 1)
    .map((p) => p.split('Frequently asked questions')[0])
    .filter((p) => /^\s*\d+ +\S/m.test(p));
  expect(tablePages.length).toBeGreaterThanOrEqual(2);
  for (const [i, p] of tablePages.entries()) expect(p, `table page ${i + 1} has the header`).toMatch(HEADER);
  for (const control of CONTROLS) expect(all, `no "${control}" on paper`).not.toContain(control);
  // Words are wrapped, never cut into letters: "Platform constraints" prints whole.
  expect(all).toMatch(/\bPlatform\b/);
  expect(all).toMatch(/\bconstraints\b/);
  if (lastLine) expect(all).toContain(lastLine);
  expect(all).toContain('Frequently asked questions');
}

/** In print media: one header row, every column wide enough to read. */
async function expectReadableColumns(page: Page) {
  await page.emulateMedia({ media: 'print' });
  const heads = await page.locator('table.plan-table thead th').evaluateAll((ths) =>
    ths.map((th) => {
      const r = th.getBoundingClientRect();
      return { label: th.getAttribute('data-label'), top: Math.round(r.top), width: r.width };
    }),
  );
  expect(heads.map((h) => h.label)).toEqual(['#', 'Item', 'Category', 'Priority', 'Owner', 'Status', 'Notes']);
  expect(new Set(heads.map((h) => h.top)).size, 'the header is one row').toBe(1);
  const min: Record<string, number> = { '#': 18, Item: 100, Category: 60, Priority: 45, Owner: 45, Status: 50, Notes: 250 };
  for (const h of heads) expect(h.width, `${h.label} column width`).toBeGreaterThanOrEqual(min[h.label!]);
}

test.describe('print', () => {
  test('the editor prints the plan on at most 8 pages, light or dark, without controls', async ({ editor, page }) => {
    await editor.goto();
    const long = Array.from({ length: 12 }, (_, i) => `Line ${i + 1} of a long note that must print in full.`).join('\n');
    await editor.set(2, 'notes', long);
    // A filter on screen does not shorten the printout.
    await editor.openReadiness();
    await page.getByRole('button', { name: /^Security: / }).click();
    const items = await page.locator('td[data-col="item"]').allTextContents();
    expect(items.length).toBeGreaterThanOrEqual(30);

    await expectReadableColumns(page);
    for (const hidden of ['.toolbar', '.plan-switcher', '.table-filters', '.row-tools', '.keyboard-help', '.cell-editor', '.col-resize']) {
      await expect(page.locator(hidden).first(), hidden).toBeHidden();
    }
    // Notes are wrapped in full, not cut off at the box.
    const fits = await editor.cell(2, 'notes').evaluate((el) => el.scrollHeight <= el.clientHeight + 2);
    expect(fits, 'the long note is fully visible').toBe(true);
    // Every FAQ answer prints, open or not.
    const answers = page.locator('.faq-answer');
    expect(await answers.count()).toBeGreaterThanOrEqual(8);
    for (let i = 0; i < (await answers.count()); i++) await expect(answers.nth(i)).toBeVisible();

    for (const scheme of ['light', 'dark'] as const) {
      await expectAGoodPrintout(page, items, scheme, 'Line 12 of a long note that must print in full.');
    }
  });

  test('a plan edited together prints without the live bar, for the owner and for who joined', async ({ editor, browser, consoleGuard }) => {
    await editor.goto();
    const [editUrl] = await turnOnEditing(editor);
    await expect(editor.saveIndicator()).toHaveText('Synced');
    const items = await editor.page.locator('td[data-col="item"]').allTextContents();
    const joiner = await stranger(browser, consoleGuard, 'joiner');
    await join(joiner, editUrl, 'Joiner');
    await expect(joiner.getByLabel('Your name')).toBeVisible();
    for (const page of [editor.page, joiner]) {
      await expectReadableColumns(page);
      for (const scheme of ['light', 'dark'] as const) await expectAGoodPrintout(page, items, scheme);
    }
  });

  test('the read-only page prints as well as the editor', async ({ editor, browser, consoleGuard }) => {
    await editor.goto();
    const items = await editor.page.locator('td[data-col="item"]').allTextContents();
    const [, viewUrl] = await turnOnEditing(editor);
    const viewer = await stranger(browser, consoleGuard, 'viewer');
    await viewer.goto(viewUrl);
    await viewer.locator('body[data-hydrated="true"]').waitFor();
    await expectReadableColumns(viewer);
    for (const scheme of ['light', 'dark'] as const) await expectAGoodPrintout(viewer, items, scheme);
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
