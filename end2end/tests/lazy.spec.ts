import { test, expect } from './fixtures';

// Parts of the editor the first load does not need come from their own WASM chunks, fetched
// on first use (src/ui/lazy_part.rs; scripts/build-site.mjs cuts them out).
const CHUNK = /\/pkg\/split_[^/]+\.wasm$/;
const LIVE_CLIENT = /\/pkg\/split_live_client\.[^/]+\.wasm$/;

test.describe('parts loaded on first use', () => {
  test('pasting is not in the first load: its part arrives when a cell is first focused', async ({ editor, page }) => {
    const fetched: string[] = [];
    page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
    await editor.goto();
    const paste = /\/pkg\/split_paste\.[^/]+\.wasm$/;
    expect(fetched.filter((p) => paste.test(p))).toEqual([]);
    await editor.cell(2, 'owner').click();
    await expect.poll(() => fetched.filter((p) => paste.test(p)).length).toBe(1);
    // Then a paste is at once what it always was: a block into cells, one undoable step.
    await page.evaluate(() => {
      const data = new DataTransfer();
      data.setData('text/plain', 'Ana\tIn progress\nBo\tDone');
      document.activeElement!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true }));
    });
    await expect(editor.cell(2, 'owner')).toHaveText('Ana');
    await expect(editor.cell(3, 'owner')).toHaveText('Bo');
    await expect(editor.text(3, 'status')).toHaveText('Done');
  });

  test('the sharing options are not in the first load, and arrive when Share is used', async ({ editor, page }) => {
    const fetched: string[] = [];
    page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
    await editor.goto();
    expect(fetched.filter((p) => CHUNK.test(p))).toEqual([]);

    // The main WASM has the checklist but not the dialog's text; the chunk has it.
    const main = fetched.find((p) => /^\/pkg\/syncplan\.[^/]+\.wasm$/.test(p));
    expect(main).toBeTruthy();
    const mainBytes = (await (await page.request.get(main!)).body()).toString('latin1');
    expect(mainBytes).toContain('Map every sync trigger');
    expect(mainBytes).not.toContain('Anyone with this link can change the plan');

    // Pointing at the button is enough to start fetching the chunk.
    await page.getByRole('button', { name: 'Share…' }).hover();
    await expect.poll(() => fetched.filter((p) => CHUNK.test(p)).length).toBe(1);
    await page.getByRole('button', { name: 'Share…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Share', exact: true });
    await expect(dialog.getByRole('button', { name: 'Create link' })).toBeVisible();
    await expect(dialog.getByRole('button', { name: 'Turn on editing' })).toBeVisible();
    const chunk = fetched.find((p) => CHUNK.test(p))!;
    const chunkBytes = (await (await page.request.get(chunk)).body()).toString('latin1');
    expect(chunkBytes).toContain('Anyone with this link can change the plan');
    await dialog.getByRole('button', { name: 'Close' }).click();

    // So is the import panel, fetched when the Import menu opens.
    const importChunk = /\/pkg\/split_import_panel\.[^/]+\.wasm$/;
    expect(fetched.filter((p) => importChunk.test(p))).toEqual([]);
    await page.locator('.import-menu summary').click();
    await expect(page.getByLabel(/Import a CSV or JSON file/)).toBeVisible();
    expect(fetched.filter((p) => importChunk.test(p))).toHaveLength(1);
  });

  test('a part that cannot be fetched says so, and Try again loads it without a reload', async ({ editor, page, consoleGuard }) => {
    await editor.goto();
    await editor.set(1, 'item', 'Typed before the network failed');
    // The chunk's fetch fails, as it would offline or after a deploy removed the file.
    await page.route(CHUNK, (route) => route.abort('internetdisconnected'));
    consoleGuard.allow(/ERR_INTERNET_DISCONNECTED|Failed to fetch|Failed to load resource|TypeError/);
    await page.getByRole('button', { name: 'Share…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Share', exact: true });
    const alert = dialog.getByRole('alert');
    await expect(alert).toContainText('The sharing options could not be loaded');
    await expect(alert).toContainText('Check your connection, then try again.');
    await expect(dialog.getByRole('button', { name: 'Create link' })).toHaveCount(0);

    // The page still works: close the dialog, edit, come back.
    await dialog.getByRole('button', { name: 'Close' }).click();
    await editor.set(2, 'item', 'Typed while the part was missing');
    await expect(editor.text(1, 'item')).toHaveText('Typed before the network failed');

    await page.unroute(CHUNK);
    await page.getByRole('button', { name: 'Share…' }).click();
    await dialog.getByRole('button', { name: 'Try again' }).click();
    await expect(dialog.getByRole('button', { name: 'Create link' })).toBeVisible();
    await expect(alert).toHaveCount(0);
    await dialog.getByRole('button', { name: 'Create link' }).click();
    await expect(dialog.locator('#share-url')).toHaveValue(/\/s\/[A-Za-z0-9_-]{22}$/);
    await expect(editor.text(2, 'item')).toHaveText('Typed while the part was missing');
  });

  test('the live-editing client loads when a plan is edited together; if it cannot, the plan says Offline and connects later', async ({ editor, page, consoleGuard }) => {
    const fetched: string[] = [];
    page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
    await editor.goto();
    await page.getByRole('button', { name: 'Share…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Share', exact: true });
    await expect(dialog.getByRole('button', { name: 'Turn on editing' })).toBeVisible();
    // Nothing live yet: the client's chunk was not fetched.
    expect(fetched.filter((p) => LIVE_CLIENT.test(p))).toEqual([]);

    await page.route(LIVE_CLIENT, (route) => route.abort('internetdisconnected'));
    consoleGuard.allow(/ERR_INTERNET_DISCONNECTED|Failed to fetch|Failed to load resource|TypeError/);
    await dialog.getByRole('button', { name: 'Turn on editing' }).click();
    await expect(dialog.locator('#edit-url')).toHaveValue(/\/e\//);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(editor.saveIndicator()).toContainText('Offline');
    // Edits made meanwhile are kept, and go out once the client is there.
    await editor.set(1, 'item', 'Edited before the client arrived');
    await page.unroute(LIVE_CLIENT);
    await expect(editor.saveIndicator()).toContainText('Synced', { timeout: 15_000 });
    expect(fetched.filter((p) => LIVE_CLIENT.test(p)).length).toBeGreaterThanOrEqual(2);
    await expect(editor.text(1, 'item')).toHaveText('Edited before the client arrived');
  });
});
