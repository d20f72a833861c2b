import { test, expect } from './fixtures';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

async function download(editor: any, label: string) {
  await editor.openExport();
  const waiting = editor.page.waitForEvent('download');
  await editor.page.getByRole('button', { name: label, exact: true }).click();
  const file = await waiting;
  const saved = path.join(os.tmpdir(), `syncplan-${Date.now()}-${file.suggestedFilename()}`);
  await file.saveAs(saved);
  return { name: file.suggestedFilename(), bytes: fs.readFileSync(saved), path: saved };
}

test.describe('get this template', () => {
  test('each download is a real file of the current plan', async ({ editor, page }) => {
    await editor.goto();
    await page.getByLabel('Plan title').fill('Field App sync');
    await editor.set(1, 'item', '=1+1, "quoted"');
    await editor.set(1, 'notes', 'first line\nsecond | line');

    const csv = await download(editor, 'Google Sheets (CSV)');
    expect(csv.name).toBe('field-app-sync.csv');
    const text = csv.bytes.toString('utf8');
    expect(text.startsWith('#,Item,Category,Priority,Owner,Status,Notes\r\n')).toBe(true);
    expect(text).toContain('1,"\'=1+1, ""quoted""",Sync triggers,P0');
    expect(text).toContain('"first line\nsecond | line"');

    const excel = await download(editor, 'Excel (CSV)');
    expect(excel.name).toBe('field-app-sync-excel.csv');
    expect([...excel.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(excel.bytes.subarray(3).toString('utf8')).toBe(text);

    const notion = await download(editor, 'Notion (database CSV)');
    expect(notion.name).toBe('field-app-sync-notion.csv');
    expect(notion.bytes.toString('utf8').startsWith('Item,Category,Priority,Status,Owner,Notes,#\r\n')).toBe(true);

    const md = await download(editor, 'Notion (Markdown page)');
    expect(md.name).toBe('field-app-sync.md');
    const mdText = md.bytes.toString('utf8');
    expect(mdText.startsWith('# Field App sync\n')).toBe(true);
    expect(mdText).toContain('first line<br>second \\| line');
    expect(mdText).toContain('## Frequently asked questions');

    const json = await download(editor, 'Backup (JSON)');
    expect(json.name).toBe('field-app-sync.json');
    const plan = JSON.parse(json.bytes.toString('utf8'));
    expect(plan.title).toBe('Field App sync');
    expect(plan.rows[0].item).toBe('=1+1, "quoted"');
    expect(plan.rows.length).toBe(await editor.rows().count());
  });

  test('an exported CSV imports back into the same table, undoably', async ({ editor, page }) => {
    await editor.goto();
    await editor.set(2, 'owner', 'Dana');
    await editor.set(3, 'status', 'Done');
    const before = await editor.items();
    const csv = await download(editor, 'Google Sheets (CSV)');

    // Change the table, then bring the file back.
    await editor.cell(1, 'owner').click();
    await editor.button('Delete row').click();
    await editor.set(1, 'item', 'changed');
    await editor.openImport();
    await page.setInputFiles('#import-file', csv.path);
    await expect(page.locator('.import-ready')).toContainText(`${before.length} rows ready, no problems`);
    await page.getByRole('button', { name: `Replace the plan with these ${before.length} rows` }).click();
    expect(await editor.items()).toEqual(before);
    await expect(editor.text(2, 'owner')).toHaveText('Dana');
    await expect(editor.text(3, 'status')).toHaveText('Done');

    // Append doubles the rows; undo takes the import back.
    await editor.openImport();
    await page.setInputFiles('#import-file', csv.path);
    await page.getByRole('button', { name: `Append ${before.length} rows` }).click();
    await expect(editor.rows()).toHaveCount(before.length * 2);
    await editor.button('Undo').click();
    await expect(editor.rows()).toHaveCount(before.length);
    await editor.button('Undo').click();
    expect((await editor.items())[0]).toBe('changed');
  });

  test('a JSON backup restores title and rows', async ({ editor, page }) => {
    await editor.goto();
    await page.getByLabel('Plan title').fill('Backed up');
    await editor.set(1, 'owner', 'Ines');
    const json = await download(editor, 'Backup (JSON)');
    await editor.button('Reset to template…').click();
    await page.getByRole('dialog', { name: 'Reset to the template?' }).getByRole('button', { name: 'Reset', exact: true }).click();
    await expect(page.getByLabel('Plan title')).toHaveValue('Background sync plan');
    await editor.openImport();
    await page.setInputFiles('#import-file', json.path);
    await page.getByRole('button', { name: /^Replace the plan/ }).click();
    await expect(page.getByLabel('Plan title')).toHaveValue('Backed up');
    await expect(editor.text(1, 'owner')).toHaveText('Ines');
  });

  test("a sheet's own words are translated once, before anything changes", async ({ editor, page }) => {
    await editor.goto();
    const before = await editor.items();
    await editor.openImport();
    await page.setInputFiles('#import-file', {
      name: 'words.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('Item,Priority,Status\nA,P9,Done\nB,P1,someday\nC,P9,someday\n'),
    });
    const mapping = page.locator('.import-mapping');
    await expect(mapping).toContainText('words.csv: 3 rows.');
    const go = mapping.getByRole('button', { name: 'Continue with 3 rows' });
    await expect(go).toHaveAttribute('aria-disabled', 'true');
    // Continue says what is missing: the first value to translate gets the focus.
    await go.click({ force: true });
    await expect(mapping.getByLabel(/“P9” in column Priority/)).toBeFocused();
    expect(await editor.items()).toEqual(before);

    // Two choices made faster than the server answers, the first answer arriving last:
    // the second choice keeps the first, and the older answer never shows.
    const delays = [600, 50];
    const previews = (url: URL) => url.pathname === '/api/import' && url.searchParams.get('preview') === '1';
    await page.route(previews, async (route) => {
      await new Promise((r) => setTimeout(r, delays.shift() ?? 0));
      await route.continue();
    });
    await mapping.getByLabel('“P9” in column Priority (rows 1, 3) means').selectOption('P2');
    await mapping.getByLabel('“someday” in column Status (rows 2, 3) means').selectOption('Not started');
    await expect(go).toHaveAttribute('aria-disabled', 'false');
    await page.waitForTimeout(700);
    await expect(go, 'the late answer to the first choice does not undo the second').toHaveAttribute('aria-disabled', 'false');
    await page.unroute(previews);
    await go.click();
    await expect(page.locator('.import-ready')).toContainText('3 rows ready, no problems');
    await page.getByRole('button', { name: 'Replace the plan with these 3 rows' }).click();
    expect(await editor.items()).toEqual(['A', 'B', 'C']);
    await expect(editor.text(1, 'priority')).toHaveText('P2');
    await expect(editor.text(3, 'status')).toHaveText('Not started');
  });

  test('a Jira export maps column by column, and the mapping is remembered', async ({ editor, page }) => {
    await editor.goto();
    const before = await editor.items();
    const jira = {
      name: 'jira.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        'Summary,Issue key,Status,Priority,Assignee,Sprint\r\n' +
          'Retry uploads,SYNC-1,To Do,Highest,Ana,Sprint 4\r\n' +
          'Queue writes,SYNC-2,Done,Low,Bo,Sprint 4\r\n',
      ),
    };
    await editor.openImport();
    await page.setInputFiles('#import-file', jira);
    const mapping = page.locator('.import-mapping');
    await expect(mapping.getByLabel('Summary')).toHaveValue('item');
    await expect(mapping.getByLabel('Assignee')).toHaveValue('owner');
    await expect(mapping.getByRole('row', { name: /Issue key/ })).toContainText('SYNC-1');
    // Keep the key in Notes; leave the sprint out.
    await mapping.getByLabel('Issue key').selectOption('add-to-notes');
    await mapping.getByLabel('Sprint').selectOption('skip');
    await expect(mapping.getByLabel('Issue key')).toHaveValue('add-to-notes');
    await mapping.getByRole('button', { name: 'Continue with 2 rows' }).click();
    await expect(page.locator('.import-ready')).toContainText('Added to Notes: Issue key.');
    await page.getByRole('button', { name: 'Replace the plan with these 2 rows' }).click();
    expect(await editor.items()).toEqual(['Retry uploads', 'Queue writes']);
    await expect(editor.text(1, 'owner')).toHaveText('Ana');
    await expect(editor.text(1, 'priority')).toHaveText('P0');
    await expect(editor.text(1, 'notes')).toContainText('Issue key: SYNC-1');
    await expect(editor.text(1, 'notes')).not.toContainText('Sprint');

    // The next export of the same columns starts from the mapping used.
    await editor.openImport();
    await page.setInputFiles('#import-file', jira);
    await expect(mapping).toContainText('Your mapping from the last import of these columns');
    await expect(mapping.getByLabel('Sprint')).toHaveValue('skip');
    await mapping.getByRole('button', { name: 'Cancel' }).click();

    await editor.button('Undo').click();
    expect(await editor.items()).toEqual(before);
  });

  test('tickets download for the rows asked for', async ({ editor, page }) => {
    await editor.goto();
    await editor.set(1, 'status', 'Done');
    const done = (await editor.items())[0];
    const open = (await editor.items())[1];
    await editor.openExport();
    await expect(page.getByLabel('Only rows not Done')).toBeChecked();
    const jira = await download(editor, 'Jira (CSV)');
    expect(jira.name).toBe('background-sync-plan-jira.csv');
    const text = jira.bytes.toString('utf8');
    expect(text.startsWith('Summary,')).toBe(true);
    expect(text).toContain(open);
    expect(text).not.toContain(done);
    // The menu closed when the download started; its choices are kept.
    await expect(page.locator('details.export-menu')).not.toHaveAttribute('open', '');
    await editor.openExport();
    await expect(page.getByLabel('Only rows not Done')).toBeChecked();
    await page.getByLabel('Only rows not Done').uncheck();
    const all = await download(editor, 'GitLab (CSV)');
    expect(all.name).toBe('background-sync-plan-gitlab.csv');
    expect(all.bytes.toString('utf8')).toContain(done);
    // The page is still the editor: a download never navigates away.
    await expect(page.getByLabel('Plan title')).toBeVisible();
  });

  test('Copy for Sheets puts text and HTML on the clipboard', async ({ editor, page, context }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await editor.goto();
    await editor.set(1, 'notes', 'two\nlines');
    await editor.openExport();
    await editor.button('Copy for Sheets').click();
    await expect(page.getByTestId('announcer')).toContainText('Copied');
    const copied = await page.evaluate(async () => {
      const items = await navigator.clipboard.read();
      const item = items[0];
      const text = await (await item.getType('text/plain')).text();
      const html = await (await item.getType('text/html')).text();
      return { types: item.types, text, html };
    });
    expect(copied.types).toEqual(expect.arrayContaining(['text/plain', 'text/html']));
    expect(copied.text.split('\n')[0]).toBe('#\tItem\tCategory\tPriority\tOwner\tStatus\tNotes');
    expect(copied.text).toContain('\t"two\nlines"\n');
    expect(copied.html).toContain('<td>two<br>lines</td>');
  });
});
