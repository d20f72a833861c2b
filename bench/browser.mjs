// Browser-side figures for `make bench`: ready time, keystroke latency, save cost, and how
// many rows one edit touches, with a 500-row plan in local storage.

import { chromium } from '@playwright/test';

function plan(n) {
  const rows = [];
  for (let i = 0; i < n; i++) {
    rows.push({
      id: `b${i}`,
      item: `Checklist item ${i}: plan the sync step`,
      category: ['Sync triggers', 'Battery', 'Offline queue', 'Testing'][i % 4],
      priority: ['P0', 'P1', 'P2', 'P3'][i % 4],
      owner: i % 3 ? '' : `Owner ${i}`,
      status: ['Not started', 'In progress', 'Blocked', 'Done'][i % 4],
      notes: `Notes for row ${i}, with a comma and a second line\nthat wraps.`,
    });
  }
  return { schema: 1, title: `Browser benchmark (${n} rows)`, rows };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];

export async function measureBrowser(base) {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  try {
    const envelope = JSON.stringify({
      schema: 2, revision: 1, writer: 'bench', saved_at: new Date().toISOString(),
      active: 'main', plans: [{ id: 'main', plan: plan(500) }], shares: [],
    });
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    await context.addInitScript((raw) => {
      if (!localStorage.getItem('syncplan.workspace')) localStorage.setItem('syncplan.workspace', raw);
    }, envelope);
    const page = await context.newPage();

    // Ready: warm cache (hashed assets are cached for a year), median of 5 loads; and when
    // the first full frame after it was painted.
    const readies = [];
    const renders = [];
    const hydrations = [];
    for (let i = 0; i < 6; i++) {
      await page.goto(`${base}/`);
      await page.locator('body[data-hydrated="true"]').waitFor();
      const [ready, painted] = await page.evaluate(() => new Promise((resolve) => {
        requestAnimationFrame(() => {
          const ch = new MessageChannel();
          ch.port1.onmessage = () => resolve([performance.getEntriesByName('syncplan:ready')[0].startTime, performance.now()]);
          ch.port2.postMessage(0);
        });
      }));
      if (i > 0) {
        readies.push(ready);
        renders.push(painted - ready);
        hydrations.push(await page.evaluate(() => performance.getEntriesByName('syncplan:hydrated')[0].startTime));
      }
    }
    const rowCount = await page.locator('table.plan-table tbody tr').count();
    if (rowCount !== 500) throw new Error(`expected 500 rows, found ${rowCount}`);

    // Keystrokes: the app's handling (input event → end of the microtasks it queued, where
    // Leptos updates the DOM), the style + layout that follows, and key → next painted frame.
    const cell = page.locator('table.plan-table tbody tr').nth(250).locator('[data-col="item"]');
    await cell.click();
    await page.evaluate(() => {
      window.__handling = [];
      window.__layout = [];
      window.__frames = [];
      let inputAt = 0;
      window.addEventListener('input', () => { inputAt = performance.now(); }, { capture: true });
      window.addEventListener('input', () => {
        queueMicrotask(() => queueMicrotask(() => queueMicrotask(() => {
          const handled = performance.now();
          window.__handling.push(handled - inputAt);
          void document.body.offsetHeight;
          window.__layout.push(performance.now() - handled);
        })));
      });
    });
    for (let i = 0; i < 50; i++) {
      await page.keyboard.press('x');
      await page.waitForTimeout(20);
    }
    // Key → painted frame, typed from inside the page (no round trip to the test driver).
    await page.evaluate(async () => {
      for (let i = 0; i < 50; i++) {
        const t0 = performance.now();
        document.execCommand('insertText', false, 'z');
        await new Promise((resolve) => requestAnimationFrame(() => {
          const ch = new MessageChannel();
          ch.port1.onmessage = resolve;
          ch.port2.postMessage(0);
        }));
        window.__frames.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    const [handling, layout, frames] = await page.evaluate(() => [window.__handling.slice(0, 50), window.__layout.slice(0, 50), window.__frames]);

    // One save of the whole plan (the app's own `syncplan:save` measure).
    const saves = [];
    for (let i = 0; i < 20; i++) {
      await page.evaluate(() => performance.clearMeasures('syncplan:save'));
      await page.keyboard.press('y');
      await page.waitForFunction(() => performance.getEntriesByName('syncplan:save').length > 0);
      saves.push(await page.evaluate(() => performance.getEntriesByName('syncplan:save')[0].duration));
    }
    const savedBytes = await page.evaluate(() => localStorage.getItem('syncplan.workspace').length);

    // Rows whose DOM changes when one row's status changes.
    await page.evaluate(() => {
      window.__touched = new Set();
      window.__observer = new MutationObserver((records) => {
        for (const r of records) {
          const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
          const tr = el && el.closest('tr');
          if (tr) window.__touched.add(tr.dataset.rowId);
        }
      });
      window.__observer.observe(document.querySelector('table.plan-table tbody'), {
        subtree: true, childList: true, attributes: true, characterData: true,
      });
    });
    await page.locator('table.plan-table tbody tr').nth(100).locator('[data-col="status"]').selectOption('Done');
    await page.keyboard.press('Tab');
    await page.waitForTimeout(100);
    const rowsTouched = await page.evaluate(() => window.__touched.size);

    return {
      readyMs: median(readies),
      hydratedMs: median(hydrations),
      renderMs: median(renders),
      keyMedian: median(handling),
      keyP95: p95(handling),
      layoutMedian: median(layout),
      layoutP95: p95(layout),
      frameMedian: median(frames),
      frameP95: p95(frames),
      saveMs: median(saves),
      savedBytes,
      rowsTouched,
    };
  } finally {
    await browser.close();
  }
}
