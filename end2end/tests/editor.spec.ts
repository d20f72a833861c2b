import { test, expect, Editor, HARNESS_NOISE } from './fixtures';

test.describe('editing', () => {
  test('the template renders and hydrates', async ({ editor, page }) => {
    await editor.goto();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Background sync planning template');
    expect(await editor.rows().count()).toBeGreaterThanOrEqual(25);
    await expect(editor.text(1, 'item')).toHaveText('Map every sync trigger');
    const mark = await page.evaluate(() => performance.getEntriesByName('syncplan:ready').length);
    expect(mark).toBe(1);
  });

  test('an edit survives a reload', async ({ editor }) => {
    await editor.goto();
    await editor.set(2, 'item', 'Schedule WorkManager sync (edited)');
    await editor.set(2, 'owner', 'Priya');
    await editor.set(2, 'notes', 'line one\nline two');
    await editor.set(2, 'priority', 'P0');
    await editor.set(2, 'status', 'Blocked');
    await editor.set(2, 'category', 'Battery');
    await expect.poll(() => editor.storedItems()).toContain('Schedule WorkManager sync (edited)');
    await expect(editor.saveIndicator()).toContainText('Saved in this browser');
    await editor.reload();
    await expect(editor.text(2, 'item')).toHaveText('Schedule WorkManager sync (edited)');
    await expect(editor.text(2, 'owner')).toHaveText('Priya');
    await expect(editor.text(2, 'notes')).toHaveText('line one\nline two');
    await expect(editor.text(2, 'priority')).toHaveText('P0');
    await expect(editor.text(2, 'status')).toHaveText('Blocked');
    await expect(editor.text(2, 'category')).toHaveText('Battery');
  });

  test('the title is editable and saved', async ({ editor, page }) => {
    await editor.goto();
    await page.getByLabel('Plan title').fill('Sync plan for Field App');
    await expect.poll(async () => (await editor.stored())?.plans?.[0]?.plan?.title).toBe('Sync plan for Field App');
    await editor.reload();
    await expect(page.getByLabel('Plan title')).toHaveValue('Sync plan for Field App');
  });

  test('add, delete, reorder, undo and redo', async ({ editor }) => {
    await editor.goto();
    const before = await editor.items();
    const n = before.length;

    await editor.button('+ Add row').click();
    await expect(editor.rows()).toHaveCount(n + 1);
    await expect(editor.cell(n + 1, 'item')).toBeFocused();
    await editor.set(n + 1, 'item', 'A brand new row');

    // The row buttons act on the row of the selected cell.
    await editor.cell(1, 'owner').click();
    await editor.button('Delete row').click();
    await expect(editor.rows()).toHaveCount(n);
    expect((await editor.items())[0]).toBe(before[1]);

    await editor.cell(1, 'owner').click();
    await editor.button('Move row down').click();
    expect((await editor.items()).slice(0, 2)).toEqual([before[2], before[1]]);

    await editor.cell(1, 'owner').click();
    await editor.button('Insert a row below').click();
    await expect(editor.rows()).toHaveCount(n + 1);
    await expect(editor.text(2, 'item')).toHaveText('');

    // Undo the insert, the move, the delete, the typing, the add.
    await editor.button('Undo').click();
    await expect(editor.rows()).toHaveCount(n);
    await editor.button('Undo').click();
    expect((await editor.items()).slice(0, 2)).toEqual([before[1], before[2]]);
    await editor.button('Undo').click();
    expect((await editor.items())[0]).toBe(before[0]);
    await editor.button('Undo').click();
    await expect(editor.text(n + 1, 'item')).toHaveText('');
    await editor.button('Undo').click();
    expect(await editor.items()).toEqual(before);
    await expect(editor.button('Undo')).toHaveAttribute('aria-disabled', 'true');

    // Redo everything with the keyboard.
    for (let i = 0; i < 5; i++) await editor.page.keyboard.press('Control+Shift+Z');
    const after = await editor.items();
    expect(after.length).toBe(n + 1);
    expect(after[0]).toBe(before[2]);
    expect(after[1]).toBe('');
    expect(after[2]).toBe(before[1]);
    expect(after[n]).toBe('A brand new row');

    // And the result is what is stored.
    await expect.poll(() => editor.storedItems()).toEqual(after);
    await editor.reload();
    expect(await editor.items()).toEqual(after);
  });

  test('undo after reload starts from the stored plan', async ({ editor, page }) => {
    await editor.goto();
    await editor.set(1, 'owner', 'Sam');
    await page.keyboard.press('Control+Z');
    await expect(editor.text(1, 'owner')).toHaveText('');
    await page.keyboard.press('Control+Shift+Z');
    await expect(editor.text(1, 'owner')).toHaveText('Sam');
    await expect.poll(async () => (await editor.stored())?.plans?.[0]?.plan?.rows?.[0]?.owner).toBe('Sam');
    await editor.reload();
    await expect(editor.text(1, 'owner')).toHaveText('Sam');
  });

  test('keyboard: Alt+arrows move rows, Ctrl+Enter inserts, Ctrl+Shift+Backspace deletes', async ({ editor, page }) => {
    await editor.goto();
    const before = await editor.items();
    await editor.cell(1, 'item').click();
    await page.keyboard.press('Alt+ArrowDown');
    expect((await editor.items()).slice(0, 2)).toEqual([before[1], before[0]]);
    await expect(editor.cell(2, 'item')).toBeFocused();
    await page.keyboard.press('Alt+ArrowUp');
    expect((await editor.items()).slice(0, 2)).toEqual([before[0], before[1]]);
    await expect(editor.cell(1, 'item')).toBeFocused();

    await page.keyboard.press('Control+Enter');
    await expect(editor.rows()).toHaveCount(before.length + 1);
    await expect(editor.cell(2, 'item')).toBeFocused();
    await page.keyboard.type('Typed after Ctrl+Enter');
    await page.keyboard.press('Enter');
    await expect(editor.text(2, 'item')).toHaveText('Typed after Ctrl+Enter');
    await expect(editor.cell(3, 'item')).toBeFocused();
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Control+Shift+Backspace');
    await expect(editor.rows()).toHaveCount(before.length);
    await expect(page.getByTestId('announcer')).toContainText('deleted');
    // The cursor moves to the row that took the deleted one's place.
    await expect(editor.cell(2, 'item')).toBeFocused();
  });

  test('reset to template asks first and can be undone', async ({ editor, page }) => {
    await editor.goto();
    await editor.set(1, 'item', 'Custom first row');
    await editor.button('Reset to template…').click();
    const dialog = page.getByRole('dialog', { name: 'Reset to the template?' });
    await expect(dialog).toBeVisible();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
    await expect(editor.text(1, 'item')).toHaveText('Custom first row');

    await editor.button('Reset to template…').click();
    await dialog.getByRole('button', { name: 'Reset', exact: true }).click();
    await expect(editor.text(1, 'item')).toHaveText('Map every sync trigger');
    await editor.button('Undo').click();
    await expect(editor.text(1, 'item')).toHaveText('Custom first row');
  });

  test('a category links to its FAQ answer', async ({ editor, page }) => {
    await editor.goto();
    const link = editor.row(6).locator('.faq-link');
    await expect(link).toHaveAttribute('href', '#faq-conflicts-answer');
    await link.click();
    await expect(page.locator('#faq-conflicts')).toHaveAttribute('open', '');
    await expect(page.locator('#faq-conflicts summary')).toBeFocused();
  });
});

test.describe('stored data', () => {
  test('a corrupt stored value is backed up and the user is told', async ({ editor, page }) => {
    await editor.seed('{"schema":2,"plans":[{oops');
    await editor.goto();
    const notice = page.getByRole('alert');
    await expect(notice).toContainText('could not be read');
    await expect(editor.text(1, 'item')).toHaveText('Map every sync trigger');
    const backups = await page.evaluate(() =>
      Object.keys(localStorage).filter((k) => k.startsWith('syncplan.backup.')),
    );
    expect(backups).toHaveLength(1);
    const kept = await page.evaluate((k) => localStorage.getItem(k), backups[0]);
    expect(kept).toBe('{"schema":2,"plans":[{oops');

    const download = page.waitForEvent('download');
    await notice.getByRole('button', { name: 'Download the backup' }).click();
    const file = await download;
    const path = await file.path();
    const fs = await import('node:fs');
    expect(fs.readFileSync(path, 'utf8')).toBe('{"schema":2,"plans":[{oops');

    // Editing goes on and is saved over the damaged value; the backup stays.
    await editor.set(1, 'owner', 'Lee');
    await expect.poll(async () => (await editor.stored())?.plans?.[0]?.plan?.rows?.[0]?.owner).toBe('Lee');
    await editor.reload();
    await expect(page.getByRole('alert')).toHaveCount(0);
    expect(await page.evaluate((k) => localStorage.getItem(k), backups[0])).toBe('{"schema":2,"plans":[{oops');
  });

  test('an older schema-1 save is migrated', async ({ editor, page }) => {
    await editor.seed(JSON.stringify({
      schema: 1,
      saved_at: '2026-10-01T09:30:00Z',
      plan: { schema: 1, title: 'Old plan', rows: [
        { id: 'a1', item: 'From the old version', category: 'Testing', priority: 'P0', owner: 'Kim', status: 'Done', notes: '' },
      ] },
    }));
    await editor.goto();
    await expect(editor.rows()).toHaveCount(1);
    await expect(editor.text(1, 'item')).toHaveText('From the old version');
    await expect(editor.text(1, 'status')).toHaveText('Done');
    await expect(page.getByLabel('Plan title')).toHaveValue('Old plan');
  });

  test('blocked storage: a warning, and editing goes on in memory', async ({ editor, page }) => {
    await page.addInitScript(() => {
      Object.defineProperty(window, 'localStorage', {
        get() { throw new DOMException('The user denied storage', 'SecurityError'); },
      });
    });
    await editor.goto();
    await expect(editor.saveIndicator()).toContainText('Not saving');
    await editor.set(1, 'item', 'Still editable');
    await editor.button('+ Add row').click();
    await expect(editor.text(1, 'item')).toHaveText('Still editable');
  });

  test('full storage: a warning, edits kept, saved once there is room', async ({ editor, page }) => {
    await page.addInitScript(() => {
      const real = Storage.prototype.setItem;
      (window as any).__storageFull = true;
      Storage.prototype.setItem = function (k: string, v: string) {
        if ((window as any).__storageFull && k === 'syncplan.workspace') {
          throw new DOMException('full', 'QuotaExceededError');
        }
        return real.call(this, k, v);
      };
    });
    await editor.goto();
    await editor.set(1, 'owner', 'Ana');
    await expect(editor.saveIndicator()).toContainText('storage for the site is full');
    await expect(editor.text(1, 'owner')).toHaveText('Ana');
    await page.evaluate(() => { (window as any).__storageFull = false; });
    await editor.set(1, 'owner', 'Ana B');
    await expect(editor.saveIndicator()).toContainText('Saved in this browser');
    await expect.poll(async () => (await editor.stored())?.plans?.[0]?.plan?.rows?.[0]?.owner).toBe('Ana B');
  });
});

test.describe('two tabs', () => {
  test('an edit in one tab shows in the other, and neither overwrites the other', async ({ editor, context }) => {
    await editor.goto();
    const other = await context.newPage();
    const problems: string[] = [];
    other.on('console', (m) => {
      const harness = HARNESS_NOISE.test(m.text());
      if ((m.type() === 'error' || m.type() === 'warning') && !harness) problems.push(m.text());
    });
    await other.goto('/');
    await other.locator('body[data-hydrated="true"]').waitFor();
    const otherEditor = new Editor(other);

    await editor.set(1, 'owner', 'From tab A');
    await expect(otherEditor.text(1, 'owner')).toHaveText('From tab A');

    await otherEditor.set(2, 'owner', 'From tab B');
    await expect(editor.text(2, 'owner')).toHaveText('From tab B');
    await expect(editor.text(1, 'owner')).toHaveText('From tab A');

    // A race: both tabs finish an edit at the same moment, inside one save delay, before
    // either has seen the other's. Both edits survive, in storage and on both screens.
    await editor.cell(4, 'owner').click();
    await editor.page.keyboard.press('F2');
    await otherEditor.cell(5, 'owner').click();
    await other.keyboard.press('F2');
    await Promise.all([editor.editorBox().fill('Raced in A'), otherEditor.editorBox().fill('Raced in B')]);
    await Promise.all([editor.page.keyboard.press('Enter'), other.keyboard.press('Enter')]);
    await expect.poll(async () => {
      const rows = (await editor.stored()).plans[0].plan.rows;
      return [rows[3].owner, rows[4].owner];
    }).toEqual(['Raced in A', 'Raced in B']);
    for (const tab of [editor, otherEditor]) {
      await expect(tab.text(4, 'owner')).toHaveText('Raced in A');
      await expect(tab.text(5, 'owner')).toHaveText('Raced in B');
    }

    // Structural edits travel too.
    await otherEditor.cell(3, 'owner').click();
    await otherEditor.button('Delete row').click();
    const count = await other.locator('table.plan-table tbody tr').count();
    await expect(editor.rows()).toHaveCount(count);

    // The stored copy has both tabs' edits.
    await expect.poll(async () => {
      const env = await editor.stored();
      const rows = env.plans[0].plan.rows;
      return [rows[0].owner, rows[1].owner, rows.length];
    }).toEqual(['From tab A', 'From tab B', count]);

    // A reload of either tab shows the same plan.
    await editor.reload();
    await expect(editor.text(2, 'owner')).toHaveText('From tab B');
    await expect(editor.rows()).toHaveCount(count);
    expect(problems).toEqual([]);
  });
});
