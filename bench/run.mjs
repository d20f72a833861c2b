// `make bench`: every figure of the performance budget, measured in one run on this machine,
// each beside a reference measured in the same run. Prints a table and writes
// bench/RESULTS.md. Expects the release build, the counter reference and the bench tools to
// be built (the Makefile does that first).

import { spawn, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { measureGrid } from './grid.mjs';
import { measureEditToPaint } from './live.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'bench', 'out');
fs.mkdirSync(out, { recursive: true });
const APP_PORT = 3900;
const REF_PORT = 3901;
const BEFORE_PORT = 3902;
const WRK = ['-t2', '-c32', '-d10s', '--latency'];
const results = { sections: [] };

function log(...args) {
  console.log('[bench]', ...args);
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitFor(url) {
  for (let i = 0; i < 400; i++) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {}
    await sleep(25);
  }
  throw new Error(`${url} did not come up`);
}

function start(cmd, args, env) {
  const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  return child;
}

function parseDuration(text) {
  const m = /([\d.]+)(us|ms|s)/.exec(text);
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

function wrk(url) {
  const text = execFileSync('wrk', [...WRK, url], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)[1]);
  const p50 = parseDuration(/\n\s+50%\s+(\S+)/.exec(text)[1]);
  const p99 = parseDuration(/\n\s+99%\s+(\S+)/.exec(text)[1]);
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  return { rps, p50, p99, non2xx: errors ? Number(errors[1]) : 0 };
}

function samplePlan(n) {
  const rows = [];
  for (let i = 0; i < n; i++) {
    rows.push({
      id: `r${String(i).padStart(5, '0')}`,
      item: `Checklist item ${i}: plan the sync step`,
      category: ['Sync triggers', 'Battery', 'Offline queue', 'Testing'][i % 4],
      priority: ['P0', 'P1', 'P2', 'P3'][i % 4],
      owner: i % 3 ? '' : `Owner ${i}`,
      status: ['Not started', 'In progress', 'Blocked', 'Done'][i % 4],
      notes: `Notes for row ${i}, with a comma, "quotes" and a second line\nthat wraps.`,
    });
  }
  return { schema: 1, title: `Benchmark plan (${n} rows)`, rows };
}

const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const pct = (a, b) => `${fmt((100 * a) / b)} %`;
const ratio = (a, b) => `${fmt(a / b, 2)}×`;

function section(title, header, rows, notes = []) {
  results.sections.push({ title, header, rows, notes });
  console.log(`\n## ${title}`);
  console.table(rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]]))));
}

async function pages() {
  const db = path.join(out, 'bench.db');
  for (const f of [db, `${db}-wal`, `${db}-shm`]) fs.rmSync(f, { force: true });
  const app = start('target/release/syncplan', [], {
    LEPTOS_SITE_ROOT: 'target/site',
    LEPTOS_SITE_ADDR: `127.0.0.1:${APP_PORT}`,
    LEPTOS_ENV: 'PROD',
    SYNCPLAN_DATABASE_URL: `sqlite://${db}?mode=rwc`,
    RUST_LOG: 'error',
  });
  try {
    const base = `http://127.0.0.1:${APP_PORT}`;
    await waitFor(`${base}/healthz`);
    const created = await (
      await fetch(`${base}/api/shares`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(samplePlan(200)),
      })
    ).json();
    const sharePath = `/s/${created.id}`;
    // The reference serves exactly these bytes.
    fs.writeFileSync(path.join(out, 'editor.html'), Buffer.from(await (await fetch(`${base}/`)).arrayBuffer()));
    fs.writeFileSync(path.join(out, 'share.html'), Buffer.from(await (await fetch(`${base}${sharePath}`)).arrayBuffer()));
    // Static files: a small one and the stylesheet, the same bytes from the reference.
    const cssName = fs.readdirSync(path.join(root, 'target', 'site', 'pkg')).find((f) => f.endsWith('.css'));
    const robots = path.join(root, 'target', 'site', 'robots.txt');
    const css = path.join(root, 'target', 'site', 'pkg', cssName);
    const ref = start('target/bench/release/reference-server', [
      `127.0.0.1:${REF_PORT}`,
      `/editor=${path.join(out, 'editor.html')}`,
      `/share=${path.join(out, 'share.html')}`,
      `/robots=${robots}`,
      `/css=${css}`,
    ], {});
    try {
      const refBase = `http://127.0.0.1:${REF_PORT}`;
      await waitFor(`${refBase}/editor`);
      log('wrk: GET / …');
      const editor = wrk(`${base}/`);
      const editorRef = wrk(`${refBase}/editor`);
      log('wrk: GET /s/{id} (200 rows) …');
      const share = wrk(`${base}${sharePath}`);
      const shareRef = wrk(`${refBase}/share`);
      log('wrk: static files …');
      const robotsApp = wrk(`${base}/robots.txt`);
      const robotsRef = wrk(`${refBase}/robots`);
      const cssApp = wrk(`${base}/pkg/${cssName}`);
      const cssRef = wrk(`${refBase}/css`);
      const row = (name, m, r, goal) => [
        name,
        fmt(m.rps),
        fmt(r.rps),
        pct(m.rps, r.rps),
        `${fmt(m.p50, 2)} / ${fmt(m.p99, 2)}`,
        `${fmt(r.p50, 2)} / ${fmt(r.p99, 2)}`,
        ratio(m.p99, r.p99),
        goal,
      ];
      section(
        'Page throughput (wrk -t2 -c32 -d10s, loopback)',
        ['page', 'req/s', 'reference req/s', 'of reference', 'p50 / p99 ms', 'reference p50 / p99 ms', 'p99 ratio', 'goal'],
        [
          row('GET /', editor, editorRef, '≥ 70 %, p99 ≤ 2×'),
          row('GET /s/{id} (200 rows)', share, shareRef, '≥ 50 %, p99 ≤ 2×'),
          row('GET /robots.txt (static file)', robotsApp, robotsRef, 'p99 ≤ 2×'),
          row(`GET /pkg/….css (static file, ${fmt(fs.statSync(css).size / 1024, 1)} KB)`, cssApp, cssRef, 'p99 ≤ 2×'),
        ],
        [
          `Reference: the same HTML bytes (${fs.statSync(path.join(out, 'editor.html')).size} and ${fs.statSync(path.join(out, 'share.html')).size} bytes) served from memory by a bare axum handler (bench/tools/src/bin/reference-server.rs).`,
          'Static files: the app holds the built site in memory in production (LEPTOS_ENV=PROD) and answers them, like fresh cached pages, in front of its other layers with the same headers; wrk asks for no compression, so both sides send the plain bytes.',
          `Non-2xx responses: app ${editor.non2xx + share.non2xx + robotsApp.non2xx + cssApp.non2xx}, reference ${editorRef.non2xx + shareRef.non2xx + robotsRef.non2xx + cssRef.non2xx}.`,
        ],
      );
      results.shareUrl = `${base}${sharePath}`;
      await browserAndLighthouse(base, sharePath);
    } finally {
      ref.kill('SIGTERM');
    }
  } finally {
    app.kill('SIGTERM');
    await sleep(200);
  }
}

function criterion() {
  const dir = path.join(root, 'target', 'bench', 'criterion', 'export 2000 rows');
  const read = (name) => {
    const file = path.join(dir, name, 'new', 'estimates.json');
    const est = JSON.parse(fs.readFileSync(file, 'utf8'));
    return est.median.point_estimate / 1e6; // ns -> ms
  };
  const ref = read('reference_ serde_json + bare csv__Writer');
  const rows = ['csv', 'markdown'].map((f) => {
    const t = read(`POST _api_export_${f}`);
    return [`POST /api/export/${f}`, fmt(t, 3), fmt(ref, 3), ratio(t, ref), '≤ 1.5×'];
  });
  section('Export of 2,000 rows (criterion, median)', ['handler', 'ms', 'reference ms', 'ratio', 'goal'], rows, [
    'Reference: serde_json parsing the same document into the plan type plus a bare csv::Writer (bench/tools/benches/export.rs). The handler runs through the real router: body read, validation, formula guards, file.',
  ]);
}

function sizes(dir, prefix) {
  const files = fs.readdirSync(dir).filter((f) => f.startsWith(prefix) && /\.(wasm|js|css)$/.test(f));
  const pick = (ext) => files.find((f) => f.endsWith(ext));
  const measure = (f) => {
    if (!f) return { raw: 0, gz: 0, br: 0 };
    const data = fs.readFileSync(path.join(dir, f));
    return {
      raw: data.length,
      gz: zlib.gzipSync(data, { level: 9 }).length,
      br: zlib.brotliCompressSync(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    };
  };
  // The chunks' loader is imported by the glue, so it is part of the first load; the chunks
  // themselves are fetched on first use.
  const all = fs.readdirSync(dir);
  const loader = all.find((f) => f.startsWith('__wasm_split.') && f.endsWith('.js'));
  const chunkFiles = all.filter((f) => /^(split|chunk)_/.test(f) && f.endsWith('.wasm'));
  const chunks = chunkFiles.map(measure);
  // The named chunks (`split_<name>.<hash>.wasm`), one by one.
  const named = chunkFiles
    .map((f, i) => [/^split_([a-z_]+)\./.exec(f)?.[1], chunks[i]])
    .filter(([name]) => name);
  const sum = (list) => list.reduce((a, b) => ({ raw: a.raw + b.raw, gz: a.gz + b.gz, br: a.br + b.br }), { raw: 0, gz: 0, br: 0 });
  return {
    wasm: measure(pick('.wasm')),
    js: sum([measure(pick('.js')), measure(loader)]),
    css: measure(pick('.css')),
    chunks: sum(chunks),
    chunkCount: chunks.length,
    named,
  };
}

function bundle() {
  const ours = sizes(path.join(root, 'target', 'site', 'pkg'), 'syncplan');
  const counter = sizes(path.join(root, 'bench', 'counter', 'target', 'site', 'pkg'), 'counter');
  const kb = (n) => fmt(n / 1024, 1);
  const line = (name, o, c) => [name, kb(o.raw), kb(o.gz), kb(o.br), kb(c.raw), kb(c.gz), kb(c.br), c.raw ? ratio(o.br, c.br) : '—'];
  const total = (s) => ({ raw: s.wasm.raw + s.js.raw, gz: s.wasm.gz + s.js.gz, br: s.wasm.br + s.js.br });
  const t = total(ours);
  const ct = total(counter);
  section(
    'Bundle (release build; KB = 1024 bytes)',
    ['file', 'raw', 'gzip -9', 'brotli', 'counter raw', 'counter gzip', 'counter brotli', 'brotli ratio'],
    [
      line('WASM', ours.wasm, counter.wasm),
      line('JS', ours.js, counter.js),
      line('CSS', ours.css, counter.css),
      line('WASM + JS', t, ct),
      line(`later: ${ours.chunkCount} WASM chunk(s) fetched on first use`, ours.chunks, counter.chunks),
      ...ours.named.map(([name, size]) => line(`… of which the ${name} chunk`, size, { raw: 0, gz: 0, br: 0 })),
    ],
    [`Goal: WASM + JS ≤ 1.3× the counter (${kb(1.3 * ct.br)} KB brotli) and ≤ 140 KB brotli.`,
     'WASM + JS is the first load: the main WASM, the JS glue and the chunks\' loader. The chunks come later, when their part of the editor is first used (src/ui/lazy_part.rs).',
     'Reference: the leptos-rs/start-axum counter app (router, meta, one page), built in bench/counter with the same profile and flags.'],
  );
  // Largest contributors, by name (a names-preserving copy of the same build).
  try {
    const front = path.join(root, 'target', 'front', 'wasm32-unknown-unknown', 'wasm-release', 'syncplan.wasm');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'twiggy-'));
    // The build keeps its relocations for splitting; the main module is what is left after it.
    execFileSync(path.join(root, 'target', 'tools', 'release', 'site-bindgen'), [front, tmp, 'syncplan', '--split']);
    execFileSync('wasm-opt', ['-Oz', '--enable-bulk-memory', '--enable-nontrapping-float-to-int', '-g', path.join(tmp, 'syncplan_bg.wasm'), '-o', path.join(tmp, 'named.wasm')]);
    const csv = execFileSync('twiggy', ['top', '-n', '400', '--format', 'csv', path.join(tmp, 'named.wasm')], { encoding: 'utf8' });
    const items = csv.trim().split('\n').slice(1).map((l) => {
      const m = /^"?(.*?)"?,(\d+),/.exec(l);
      return m ? { name: m[1], size: Number(m[2]) } : null;
    }).filter((x) => x && !x.name.includes('function names') && !x.name.startsWith('Σ') && !x.name.startsWith('...'));
    const top = items.slice(0, 10).map((x, i) => [String(i + 1), x.name.length > 110 ? `${x.name.slice(0, 107)}…` : x.name, fmt(x.size / 1024, 1)]);
    section('Top 10 WASM contributors (twiggy top, code only)', ['#', 'item', 'KB'], top);
    fs.rmSync(tmp, { recursive: true, force: true });
  } catch (e) {
    log('twiggy step failed:', e.message);
  }
}

/** A plan's history with 100,000 logged ops (bench/tools/src/bin/history-load.rs). */
function history() {
  log('history: 100,000 logged ops …');
  const text = execFileSync(path.join(root, 'target', 'bench', 'release', 'history-load'), { encoding: 'utf8' });
  const lines = text.trim().split('\n');
  const rows = lines.filter((l) => l.startsWith('| ') && !l.startsWith('| measure')).map((l) => l.slice(2, -2).split(' | '));
  const notes = lines.filter((l) => l && !l.startsWith('|'));
  section('History of a plan with 100,000 logged ops (server time, in process, SQLite)', ['measure', 'p50 ms', 'p95 ms', 'response bytes', 'goal'], rows, [
    ...notes,
    'Server time: from the request entering the router to the last byte of the response body, in the same process (no network). The history bound is raised for this run so that every op is kept (by default a plan keeps 4 MiB of history, about 25,000 such ops, and folds older ones into its base).',
  ]);
}

/** The grid now, beside the table of form controls it replaced (built by `make bench`). */
async function grid(base) {
  const beforeRoot = path.join(root, 'target', 'bench', 'before');
  const db = path.join(out, 'before.db');
  for (const f of [db, `${db}-wal`, `${db}-shm`]) fs.rmSync(f, { force: true });
  const before = start(path.join(beforeRoot, 'target', 'release', 'syncplan'), [], {
    LEPTOS_SITE_ROOT: path.join(beforeRoot, 'target', 'site'),
    LEPTOS_SITE_ADDR: `127.0.0.1:${BEFORE_PORT}`,
    LEPTOS_ENV: 'PROD',
    SYNCPLAN_DATABASE_URL: `sqlite://${db}?mode=rwc`,
    RUST_LOG: 'error',
  });
  try {
    await waitFor(`http://127.0.0.1:${BEFORE_PORT}/healthz`);
    log('browser: the grid at 35, 500 and 2,000 rows …');
    const now = await measureGrid(base);
    log('browser: the table before the grid …');
    const then = await measureGrid(`http://127.0.0.1:${BEFORE_PORT}`);
    const ms = (x) => `${fmt(x, 0)} ms`;
    const longest = (x) => (x > 0 ? ms(x) : 'none > 50 ms');
    const row = (name, a, b, goal) => [name, a, b, goal];
    section('The table at every size (Playwright + Debian Chromium, 1440×900)', ['measure', 'grid (now)', 'table before', 'goal'], [
      row('template: navigation start → ready (median of 5 warm loads)', ms(now.template.readyMs), ms(then.template.readyMs), '≤ 100 ms'),
      row('500 rows: → ready', ms(now.rows500.readyMs), ms(then.rows500.readyMs), '≤ 300 ms'),
      row('500 rows: longest task while loading', longest(now.rows500.loadLongestMs), longest(then.rows500.loadLongestMs), 'none > 50 ms'),
      row('2,000 rows: → ready', ms(now.rows2000.readyMs), ms(then.rows2000.readyMs), '≤ 600 ms'),
      row('2,000 rows: longest task while loading', longest(now.rows2000.loadLongestMs), longest(then.rows2000.loadLongestMs), ''),
      row('2,000 rows: longest task while typing', longest(now.rows2000.typingLongestMs), longest(then.rows2000.typingLongestMs), 'none > 50 ms'),
      row('2,000 rows: longest task while scrolling', longest(now.rows2000.scrollLongestMs), longest(then.rows2000.scrollLongestMs), 'none > 50 ms'),
      row('2,000 rows: longest task while filtering', longest(now.rows2000.filterLongestMs), longest(then.rows2000.filterLongestMs), 'none > 50 ms'),
      row('2,000 rows: longest task while sorting', longest(now.rows2000.sortLongestMs), longest(then.rows2000.sortLongestMs), 'none > 50 ms'),
      row('2,000 rows: key → next painted frame, median / p95', `${fmt(now.rows2000.frameMedian, 1)} / ${fmt(now.rows2000.frameP95, 1)} ms`, `${fmt(then.rows2000.frameMedian, 1)} / ${fmt(then.rows2000.frameP95, 1)} ms`, 'p95 ≤ 16 ms'),
    ], [
      'Ready: the app\'s performance.mark("syncplan:ready"), set once the stored plan\'s rows are all on the page; measured from navigation start. Long tasks from the browser\'s PerformanceObserver ("longtask"). Key → frame: inside the page, from an insertText to the first task after the next animation frame, so it includes waiting for that frame.',
      'Before: the table of form controls this grid replaced (commit 282331d), built by `make bench` into target/bench/before and measured in the same run.',
    ]);
  } finally {
    before.kill('SIGTERM');
    await sleep(200);
  }
}

/** Editing together: load on one plan (bench/tools/src/bin/live-load.rs) and edit → paint
 * in another browser, on one instance and across two instances on one PostgreSQL. */
async function live(base) {
  let pg = '';
  try {
    pg = execFileSync(path.join(root, 'scripts', 'test-postgres.sh'), { encoding: 'utf8' }).trim();
  } catch (e) {
    log('no local PostgreSQL for the two-instance figures:', e.message);
  }
  log('live: 50 editors on one plan …');
  const text = execFileSync(path.join(root, 'target', 'bench', 'release', 'live-load'), {
    encoding: 'utf8',
    env: { ...process.env, ...(pg ? { SYNCPLAN_BENCH_POSTGRES_URL: pg } : {}) },
  });
  const lines = text.trim().split('\n');
  const rows = lines.filter((l) => l.startsWith('| ') && !l.startsWith('| measure')).map((l) => l.slice(2, -2).split(' | '));
  const notes = lines.filter((l) => l && !l.startsWith('|'));
  log('live: edit → paint in another browser …');
  const one = await measureEditToPaint(base);
  rows.push(['edit → painted in another browser, one instance', fmt(one.p50, 1), fmt(one.p95, 1), '', String(one.n), 'the rows above', 'p95 ≤ 50 ms']);
  if (pg) {
    const ports = [3903, 3904];
    const servers = ports.map((port) => start('target/release/syncplan', [], {
      LEPTOS_SITE_ROOT: 'target/site', LEPTOS_SITE_ADDR: `127.0.0.1:${port}`, LEPTOS_ENV: 'PROD',
      SYNCPLAN_DATABASE_URL: pg, SYNCPLAN_SHARE_RATE_LIMIT: '100000', RUST_LOG: 'error',
    }));
    try {
      for (const port of ports) await waitFor(`http://127.0.0.1:${port}/healthz`);
      const two = await measureEditToPaint(`http://127.0.0.1:${ports[0]}`, `http://127.0.0.1:${ports[1]}`);
      rows.push(['edit → painted in a browser on another instance (PostgreSQL)', fmt(two.p50, 1), fmt(two.p95, 1), '', String(two.n), 'the rows above', 'p95 ≤ 100 ms']);
    } finally {
      for (const s of servers) s.kill('SIGTERM');
      await sleep(200);
    }
  }
  section('Editing together (release binary, loopback)', ['measure', 'p50 ms', 'p95 ms', 'p99 ms', 'samples', 'reference', 'goal'], rows, [
    ...notes,
    'Edit → painted: from the input event in one page to the first animation frame after the other page\'s cell shows the text (two browser contexts, one clock).',
  ]);
}

async function browserAndLighthouse(base, sharePath) {
  await grid(base);
  await live(base);

  log('lighthouse …');
  const lh = (url, name) => {
    const file = path.join(out, `lighthouse-${name.replace(/\W+/g, '-')}.json`);
    execFileSync(path.join(root, 'bench', 'node_modules', '.bin', 'lighthouse'), [
      url, '--preset=desktop', '--quiet', '--output=json', `--output-path=${file}`,
      '--only-categories=performance,accessibility,best-practices',
      '--chrome-flags=--headless=new --no-sandbox --disable-gpu --no-first-run --disable-background-networking --disable-component-update --disable-sync',
    ], { env: { ...process.env, CHROME_PATH: '/usr/bin/chromium' }, stdio: ['ignore', 'ignore', 'inherit'] });
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    const s = (k) => Math.round(r.categories[k].score * 100);
    return [name, String(s('performance')), String(s('accessibility')), String(s('best-practices')), fmt(r.audits['largest-contentful-paint'].numericValue, 0), fmt(r.audits['total-blocking-time'].numericValue, 0)];
  };
  const rows = [];
  for (const [url, name] of [[`${base}/`, 'editor'], [`${base}${sharePath}`, 'share page']]) {
    try {
      rows.push(lh(url, name));
    } catch (e) {
      rows.push([name, 'failed', e.message.slice(0, 60), '', '', '']);
    }
  }
  section('Lighthouse 12.2.3 (desktop preset)', ['page', 'performance', 'accessibility', 'best practices', 'LCP ms', 'TBT ms'], rows, ['Goal: ≥ 95 each.']);
}

function writeReport() {
  const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) || [])[1] ?? os.cpus()[0]?.model ?? 'unknown';
  let md = `# Benchmark results\n\nMeasured by \`make bench\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ` +
    `${os.cpus().length} × ${cpu.trim()}, ${fmt(os.totalmem() / 2 ** 30, 0)} GiB, ${os.type()} ${os.release()}. ` +
    `Every ratio compares two figures measured in this same run.\n`;
  for (const s of results.sections) {
    md += `\n## ${s.title}\n\n| ${s.header.join(' | ')} |\n|${s.header.map(() => '---').join('|')}|\n`;
    for (const r of s.rows) md += `| ${r.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |\n`;
    for (const n of s.notes) md += `\n${n}\n`;
  }
  fs.writeFileSync(path.join(root, 'bench', 'RESULTS.md'), md);
  log('wrote bench/RESULTS.md');
}

criterion();
bundle();
history();
await pages();
writeReport();
