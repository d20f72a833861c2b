import { test, expect } from './fixtures';

// Service workers are blocked in the other specs; this one needs them.
test.use({ serviceWorkers: 'allow' });

test.describe('offline', () => {
  test('after one visit the editor opens and saves with the network off', async ({ editor, page, context, consoleGuard }) => {
    await editor.goto();
    // The worker is installed once it has stored the page and the build files it loads.
    await page.evaluate(() => navigator.serviceWorker.ready);
    await expect
      .poll(() =>
        page.evaluate(async () => {
          const names = await caches.keys();
          if (names.length === 0) return [];
          const cache = await caches.open(names[0]);
          return (await cache.keys()).map((r) => new URL(r.url).pathname);
        }),
      )
      .toEqual(
        expect.arrayContaining([
          '/',
          expect.stringMatching(/^\/pkg\/syncplan\..+\.wasm$/),
          expect.stringMatching(/^\/pkg\/.+\.js$/),
          expect.stringMatching(/^\/pkg\/.+\.css$/),
          // The parts loaded on first use, and their loader: stored before they are used.
          expect.stringMatching(/^\/pkg\/__wasm_split\..+\.js$/),
          expect.stringMatching(/^\/pkg\/split_.+\.wasm$/),
        ]),
      );

    await context.setOffline(true);
    // Going offline makes requests the page did not expect fail: those are not app errors.
    consoleGuard.allow(/ERR_INTERNET_DISCONNECTED|Failed to load resource/);
    await editor.reload();
    await expect(editor.text(1, 'item')).toHaveText('Map every sync trigger');
    await editor.set(1, 'item', 'Edited on a plane');
    await expect.poll(() => editor.storedItems()).toContain('Edited on a plane');
    await editor.reload();
    await expect(editor.text(1, 'item')).toHaveText('Edited on a plane');

    // A part loaded on first use, never used online, opens offline too.
    await page.getByRole('button', { name: 'Share…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Share', exact: true });
    await expect(dialog.getByRole('button', { name: 'Create link' })).toBeVisible();
    await dialog.getByRole('button', { name: 'Close' }).click();

    // Share pages are never stored: offline, the worker says the page needs a connection.
    await page.goto('/s/AAAAAAAAAAAAAAAAAAAAAA');
    await expect(page.getByRole('heading', { name: 'You are offline' })).toBeVisible();
    await page.getByRole('link', { name: 'Open your plans' }).click();
    await editor.ready();
    await expect(editor.text(1, 'item')).toHaveText('Edited on a plane');

    // Nothing but the app shell is in the cache.
    const cached = await page.evaluate(async () => {
      const out: string[] = [];
      for (const name of await caches.keys()) {
        for (const r of await (await caches.open(name)).keys()) out.push(new URL(r.url).pathname);
      }
      return out;
    });
    expect(cached.filter((p) => p.startsWith('/api/') || p.startsWith('/s/'))).toEqual([]);
    await context.setOffline(false);
  });

  test('the worker script is served with a CSP that lets it fetch this origin only', async ({ request }) => {
    const response = await request.get('/sw.js');
    expect(response.status()).toBe(200);
    expect(response.headers()['content-type']).toMatch(/javascript/);
    expect(response.headers()['content-security-policy']).toBe("default-src 'none'; connect-src 'self'");
    expect(response.headers()['cache-control']).toBe('no-cache');
  });
});
