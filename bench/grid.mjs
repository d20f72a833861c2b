// The table at every allowed size, for `make bench`: how soon the editor is ready with the
// template, 500 and 2,000 rows (median of 5 warm loads), the longest task while loading,
// and at 2,000 rows the longest task while typing, scrolling, filtering and sorting, plus
// key → next painted frame. Works on the grid (text cells, one editor) and on the earlier
// table of form controls, so both can be measured in one run.

import { chromium } from '@playwright/test';

function plan(n) {
  const rows = [];
  for (let i = 0; i < n; i++) {
    rows.push({
      id: `g${i}`,
      item: `Checklist item ${i}: plan the sync step`,
      category: ['Sync triggers', 'Battery', 'Offline queue', 'Testing', 'Conflict resolution'][i % 5],
      priority: ['P0', 'P1', 'P2', 'P3'][i % 4],
      owner: i % 3 ? '' : `Owner ${i}`,
      status: ['Not started', 'In progress', 'Blocked', 'Done'][i % 4],
      notes: `Notes for row ${i}: what to check, who signs off, and the test that proves it.\nA second line.`,
    });
  }
  return { schema: 1, title: `Grid benchmark (${n} rows)`, rows };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];

const OBSERVE_LONG_TASKS = () => {
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
};

async function nextFrame(page) {
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => {
    const ch = new MessageChannel();
    ch.port1.onmessage = resolve;
    ch.port2.postMessage(0);
  })));
}

/** The longest task (ms) while `action` runs, 0 when none passed 50 ms. */
async function longestDuring(page, action) {
  await page.evaluate(() => { window.__longTasks = []; });
  await action();
  await page.waitForTimeout(150);
  return page.evaluate(() => Math.max(0, ...window.__longTasks.map((t) => t.duration)));
}

async function loadWith(context, base, rows) {
  const page = await context.newPage();
  await page.addInitScript(OBSERVE_LONG_TASKS);
  if (rows !== null) {
    const raw = JSON.stringify({
      schema: 2, revision: 1, writer: 'bench', saved_at: new Date().toISOString(),
      active: 'main', plans: [{ id: 'main', plan: plan(rows) }], shares: [],
    });
    await page.addInitScript((raw) => localStorage.setItem('syncplan.workspace', raw), raw);
  }
  const readies = [];
  let loadLongest = 0;
  for (let i = 0; i < 6; i++) {
    await page.goto(`${base}/`);
    await page.locator('body[data-hydrated="true"]').waitFor({ timeout: 60_000 });
    const ready = await page.evaluate(() => performance.getEntriesByName('syncplan:ready')[0].startTime);
    const longest = await page.evaluate(() => Math.max(0, ...window.__longTasks.map((t) => t.duration)));
    if (i > 0) {
      readies.push(ready);
      loadLongest = Math.max(loadLongest, longest);
    }
  }
  const count = await page.locator('table.plan-table tbody tr').count();
  if (rows !== null && count !== rows) throw new Error(`expected ${rows} rows, found ${count}`);
  return { page, readyMs: median(readies), loadLongestMs: loadLongest };
}

async function interactions(page) {
  const grid = (await page.locator('.cell-editor').count()) > 0;
  const target = page.locator('table.plan-table tbody tr').nth(1000);
  // Typing: key → next painted frame, inside the page, and the longest task meanwhile.
  if (grid) {
    await target.locator('td[data-col="item"]').click();
    await page.keyboard.press('F2');
  } else {
    await target.locator('[data-col="item"]').click();
  }
  const typingLongest = await longestDuring(page, async () => {
    await page.evaluate(async () => {
      window.__frames = [];
      for (let i = 0; i < 60; i++) {
        const t0 = performance.now();
        document.execCommand('insertText', false, 'z');
        await new Promise((resolve) => requestAnimationFrame(() => {
          const ch = new MessageChannel();
          ch.port1.onmessage = resolve;
          ch.port2.postMessage(0);
        }));
        window.__frames.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 16));
      }
    });
  });
  const frames = await page.evaluate(() => window.__frames);
  await page.keyboard.press(grid ? 'Enter' : 'Tab');
  // Scrolling the table through 2,000 rows.
  const scrollLongest = await longestDuring(page, async () => {
    await page.evaluate(async () => {
      const box = document.querySelector('.table-wrap');
      const scroller = box && box.scrollHeight > box.clientHeight + 10 ? box : document.scrollingElement;
      for (let i = 0; i < 60; i++) {
        scroller.scrollTop += 900;
        await new Promise((r) => requestAnimationFrame(r));
      }
      scroller.scrollTop = 0;
    });
  });
  // Filtering: a word, then clearing it.
  const filterLongest = await longestDuring(page, async () => {
    await page.getByLabel('Filter rows').fill('battery');
    await nextFrame(page);
    await page.getByLabel('Filter rows').fill('');
    await nextFrame(page);
  });
  // Sorting: ascending, descending, plan order.
  const sortLongest = await longestDuring(page, async () => {
    for (let i = 0; i < 3; i++) {
      await page.locator('th.col-priority').getByRole('button').click();
      await nextFrame(page);
    }
  });
  return {
    frameMedian: median(frames),
    frameP95: p95(frames),
    typingLongestMs: typingLongest,
    scrollLongestMs: scrollLongest,
    filterLongestMs: filterLongest,
    sortLongestMs: sortLongest,
  };
}

export async function measureGrid(base) {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  try {
    const result = {};
    for (const [name, rows] of [['template', null], ['rows500', 500], ['rows2000', 2000]]) {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const { page, readyMs, loadLongestMs } = await loadWith(context, base, rows);
      result[name] = { readyMs, loadLongestMs };
      if (rows === 2000) Object.assign(result[name], await interactions(page));
      await context.close();
    }
    return result;
  } finally {
    await browser.close();
  }
}
