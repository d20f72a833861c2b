// Live editing in the browser, for `make bench`: two Chromium pages on one edit link (two
// browser contexts: two people). A types a cell's new text (one input event); B's page records when the
// new text is on screen (the first animation frame after the cell changed). Both pages
// read the same clock (performance.timeOrigin + now). With `second`, B is on another
// server instance (the same PostgreSQL).

import { chromium } from '@playwright/test';

const p = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * q) - 1)];

async function ready(page) {
  await page.locator('body[data-hydrated="true"]').waitFor();
}

export async function measureEditToPaint(base, second = base, edits = 40) {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    const a = await (await browser.newContext({ serviceWorkers: 'block' })).newPage();
    await a.goto(`${base}/`);
    await ready(a);
    await a.getByRole('button', { name: 'Share…' }).click();
    await a.getByRole('button', { name: 'Turn on editing' }).click();
    const url = await a.locator('#edit-url').inputValue();
    await a.getByRole('button', { name: 'Close' }).click();
    await a.getByTestId('save-indicator').getByText('Synced').waitFor();
    const b = await (await browser.newContext({ serviceWorkers: 'block' })).newPage();
    await b.goto(url.replace(base, second));
    await ready(b);
    await b.getByTestId('save-indicator').getByText('Synced').waitFor();
    await a.evaluate(() => {
      // The edit is applied as it is typed (the editor's input event), not on Enter.
      window.__inputAt = 0;
      document.addEventListener('input', () => {
        window.__inputAt = performance.timeOrigin + performance.now();
      }, true);
    });
    const times = [];
    for (let i = 0; i < edits; i++) {
      const text = `edit ${i} ${Date.now()}`;
      const seen = b.evaluate((text) => new Promise((resolve) => {
        const cell = () => document.querySelector('table.plan-table tbody tr:nth-child(2) td[data-col="owner"]');
        const done = () => requestAnimationFrame(() => resolve(performance.timeOrigin + performance.now()));
        if (cell()?.textContent === text) return done();
        const obs = new MutationObserver(() => {
          if (cell()?.textContent === text) {
            obs.disconnect();
            done();
          }
        });
        obs.observe(document.querySelector('table.plan-table tbody'), { subtree: true, childList: true, characterData: true });
      }), text);
      await a.locator('table.plan-table tbody tr:nth-child(2) td[data-col="owner"]').click();
      await a.keyboard.press('F2');
      await a.locator('.cell-editor:visible').fill(text);
      await a.keyboard.press('Enter');
      const paintedAt = await seen;
      const inputAt = await a.evaluate(() => window.__inputAt);
      times.push(paintedAt - inputAt);
      await a.waitForTimeout(50);
    }
    return { p50: p(times, 0.5), p95: p(times, 0.95), n: times.length };
  } finally {
    await browser.close();
  }
}
