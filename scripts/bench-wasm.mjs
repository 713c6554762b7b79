#!/usr/bin/env node
// The engine benchmark in headless Chromium, and the table that puts it beside the native one.
//
//   node scripts/bench-wasm.mjs [--runs N] [--only NAME] [--out FILE]       run www/bench.html
//   node scripts/bench-wasm.mjs ... --native FILE                          ... then print the table
//   node scripts/bench-wasm.mjs --wasm FILE --native FILE                  only the table
//
// It serves www/ with scripts/serve.py on a free port, opens bench.html in /usr/bin/chromium through
// playwright-core (from tests/node_modules), waits for `window.__bench`, and writes one JSON line
// per scenario (to --out, or stdout). With --native (the JSON lines of
// `cargo bench -p pageout-core --bench throughput`) it prints one Markdown table of both, checks
// that each pair is the same run (same link, same trace hash) and states the budgets. Needs the
// release wasm in www/pkg/ (`make wasm`).

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CHROMIUM, CHROMIUM_ARGS } from '../tests/chromium.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The budgets of docs/benchmarks.md. */
const BUDGET = {
  wasmRatio: 0.5, // wasm speed / native speed, every scenario
  wasmRatioLong: 0.8, // the same, on every scenario that runs longer than longRunMs natively
  longRunMs: 100,
  defaultOutcomeMs: 100, // native, lockup-0630 to its outcome
  bytesPerPage: 32,
  seekMs: 250, // in the page, to any point of a 300 s run
  longTaskMs: 50, // no main-thread task longer than this while the page plays a run or seeks
  gridMs: 30_000, // the page's switch grid of the default scenario, 10 seeds
};

/** The page's switch grid ("What cures it") of the default scenario, as a user starts it. */
const GRID = { seeds: '10' };
/** The phase map in the page: 5 × 5 cells of the default scenario, 10 seeds each (issue budget: 30 s). */
const MAP = { x: ['mrate', '1000/s', '5000/s', '5'], y: ['ram', '48M', '128M', '5'], seeds: '10', budgetMs: 30_000 };

/** The page playing a run the way a user watches it, for the main thread's long tasks. */
// the first seek runs the engine forward to 30 s before Run; the others look back after the end
const RESPONSIVE = {
  link: '#v=1&preset=dfly-2008-07-01&until=60s',
  speed: '10',
  runs: 3,
  seeks: [3000, 1000, 4000, 5500, 200],
};

function usage(message) {
  if (message) console.error(`bench-wasm: ${message}`);
  console.error('usage: node scripts/bench-wasm.mjs [--runs N] [--only NAME] [--out FILE] [--native FILE] [--wasm FILE]');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { runs: 7, only: '', out: null, native: null, wasm: null, timeoutMin: 30 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--runs':
        o.runs = Number.parseInt(value(), 10);
        if (!(o.runs > 0)) usage('--runs takes a whole number > 0');
        break;
      case '--only':
        o.only = value();
        break;
      case '--out':
        o.out = value();
        break;
      case '--native':
        o.native = value();
        break;
      case '--wasm':
        o.wasm = value();
        break;
      case '--timeout-min':
        o.timeoutMin = Number(value());
        break;
      case '-h':
      case '--help':
        usage();
        break;
      default:
        usage(`unknown argument: ${a}`);
    }
  }
  return o;
}

function readLines(file) {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForServer(url, child, ms = 15000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`serve.py exited with status ${child.exitCode}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing answered on ${url} within ${ms} ms`);
}

/** playwright-core, as installed for the end-to-end tests. */
async function loadChromium() {
  const require = createRequire(path.join(ROOT, 'tests', 'package.json'));
  for (const name of ['playwright-core', '@playwright/test']) {
    try {
      const mod = await import(pathToFileURL(require.resolve(name)).href);
      const chromium = mod.chromium || (mod.default && mod.default.chromium);
      if (chromium) return chromium;
    } catch {
      // try the next one
    }
  }
  throw new Error('playwright-core not found: run `make setup` (or `cd tests && npm ci`)');
}

async function runBrowser(o) {
  if (!existsSync(path.join(ROOT, 'www', 'pkg', 'pageout_web.js'))) {
    throw new Error('www/pkg/ has no wasm build: run `make wasm` first');
  }
  const chromium = await loadChromium();
  const port = await freePort();
  const server = spawn('python3', ['scripts/serve.py', '--dir', 'www', '--port', String(port)], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stopServer = () => {
    if (server.exitCode === null) server.kill('SIGTERM');
  };
  process.on('exit', stopServer);
  let browser = null;
  try {
    const base = `http://127.0.0.1:${port}/`;
    await waitForServer(`${base}bench.html`, server);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const version = browser.version();
    const results = [];
    if (!['page-responsive', 'page-grid', 'page-map'].includes(o.only)) {
      const page = await browser.newPage();
      page.on('console', (msg) => {
        const text = msg.text();
        if (text.startsWith('BENCH ')) {
          const r = JSON.parse(text.slice(6));
          console.error(`bench-wasm: ${r.scenario}: ${r.wall_ms.median.toFixed(1)} ms (median of ${r.runs})`);
        } else if (msg.type() === 'error') {
          console.error(`bench-wasm: console error: ${text}`);
        }
      });
      page.on('pageerror', (err) => console.error(`bench-wasm: page error: ${err.message}`));
      const query = new URLSearchParams({ runs: String(o.runs) });
      if (o.only) query.set('only', o.only);
      await page.goto(`${base}bench.html?${query}`);
      await page.waitForFunction(() => window.__bench && window.__bench.done, null, {
        timeout: o.timeoutMin * 60_000,
        polling: 250,
      });
      const bench = await page.evaluate(() => window.__bench);
      if (bench.error) throw new Error(`the bench page failed: ${bench.error}`);
      results.push(...bench.results.map((r) => ({ ...r, browser: `Chromium ${version}` })));
    }
    if (!o.only || 'page-responsive'.includes(o.only)) results.push(await responsiveness(browser, base));
    if (!o.only || 'page-grid'.includes(o.only)) results.push(await pageGrid(browser, base));
    if (!o.only || 'page-map'.includes(o.only)) results.push(await pageMap(browser, base));
    return results;
  } finally {
    if (browser) await browser.close();
    stopServer();
  }
}

/** Records every main-thread task over 50 ms of a page (PerformanceObserver 'longtask') in window.__longTasks. */
function watchLongTasks(page) {
  return page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
  });
}

/**
 * Plays a run in the real page (index.html, engine in its Web Worker) at 10× and records every
 * main-thread task over 50 ms (PerformanceObserver 'longtask') from a first seek forward (the
 * engine runs to it), through the click on Run, to the end and four seeks back (lookups).
 */
async function responsiveness(browser, base) {
  const tasks = [];
  for (let i = 0; i < RESPONSIVE.runs; i++) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await watchLongTasks(page);
    await page.goto(`${base}${RESPONSIVE.link}`);
    await page.waitForFunction(() => document.body.dataset.state === 'idle', null, { timeout: 30_000 });
    await page.selectOption('#speed', RESPONSIVE.speed);
    const t0 = await page.evaluate(() => performance.now());
    const seek = async (tick) => {
      await page.locator('#time').evaluate((el, t) => {
        el.value = String(t);
        el.dispatchEvent(new Event('change', { bubbles: true }));
      }, tick);
      const want = `${(tick / 100).toFixed(2)} s`;
      await page.waitForFunction((w) => document.getElementById('time-out').textContent === w, want, { timeout: 30_000 });
    };
    await seek(RESPONSIVE.seeks[0]);
    await page.click('#run');
    await page.waitForFunction(() => document.body.dataset.state === 'finished', null, { timeout: 120_000 });
    for (const tick of RESPONSIVE.seeks.slice(1)) await seek(tick);
    const long = await page.evaluate((t) => window.__longTasks.filter(([start]) => start >= t), t0);
    tasks.push(...long.map(([, d]) => Math.round(d)));
    await page.close();
  }
  console.error(`bench-wasm: page-responsive: ${tasks.length} long tasks in ${RESPONSIVE.runs} runs`);
  return {
    scenario: 'page-responsive',
    link: RESPONSIVE.link,
    speed: Number(RESPONSIVE.speed),
    runs: RESPONSIVE.runs,
    long_tasks_ms: tasks,
  };
}

/**
 * The switch grid in the real page: the default scenario, GRID.seeds seeds, every run in the
 * page's worker pool. Wall time from the click on "Run the grid" to the report (the page's own
 * measure, `#grid[data-ms]`), and every main-thread task over 50 ms meanwhile.
 */
async function pageGrid(browser, base) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await watchLongTasks(page);
  await page.goto(base);
  await page.waitForFunction(() => document.body.dataset.state === 'idle', null, { timeout: 30_000 });
  const link = await page.evaluate(() => location.hash);
  await page.fill('#grid-seeds', GRID.seeds);
  const t0 = await page.evaluate(() => performance.now());
  await page.click('#grid-start');
  await page.waitForFunction(() => ['done', 'failed'].includes(document.getElementById('grid').dataset.state), null, {
    timeout: 20 * 60_000,
    polling: 500,
  });
  const r = await page.evaluate((t) => {
    const grid = document.getElementById('grid');
    return {
      state: grid.dataset.state,
      ms: Number(grid.dataset.ms),
      status: document.getElementById('grid-status').textContent,
      cells: grid.querySelectorAll('.cell').length,
      workers: navigator.hardwareConcurrency,
      long: window.__longTasks.filter(([start]) => start >= t).map(([, d]) => Math.round(d)),
    };
  }, t0);
  await page.close();
  if (r.state !== 'done') throw new Error(`the page's grid failed: ${r.status}`);
  console.error(`bench-wasm: page-grid: ${r.status} ${r.long.length} long tasks`);
  return {
    scenario: 'page-grid',
    link,
    seeds: Number(GRID.seeds),
    cells: r.cells,
    workers: r.workers,
    wall_ms: r.ms,
    long_tasks_ms: r.long,
  };
}

/**
 * The phase map in the real page: MAP's 5 × 5 cells of the default scenario with MAP.seeds seeds,
 * every run in the page's worker pool. Wall time from the click on "Run the map" to the last
 * cell (the page's own measure, `#map[data-ms]`), and every main-thread task over 50 ms meanwhile.
 */
async function pageMap(browser, base) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await watchLongTasks(page);
  await page.goto(base);
  await page.waitForFunction(() => document.body.dataset.state === 'idle', null, { timeout: 30_000 });
  for (const [axis, [key, from, to, steps]] of [['x', MAP.x], ['y', MAP.y]]) {
    await page.selectOption(`#map-${axis}-key`, key);
    await page.fill(`#map-${axis}-from`, from);
    await page.fill(`#map-${axis}-to`, to);
    await page.fill(`#map-${axis}-steps`, steps);
  }
  await page.fill('#map-seeds', MAP.seeds);
  const t0 = await page.evaluate(() => performance.now());
  await page.click('#map-start');
  await page.waitForFunction(() => ['done', 'failed'].includes(document.getElementById('map').dataset.state), null, {
    timeout: 20 * 60_000,
    polling: 500,
  });
  const r = await page.evaluate((t) => {
    const map = document.getElementById('map');
    return {
      state: map.dataset.state,
      ms: Number(map.dataset.ms),
      status: document.getElementById('map-status').textContent,
      cells: map.querySelectorAll('a.map-cell').length,
      workers: navigator.hardwareConcurrency,
      long: window.__longTasks.filter(([start]) => start >= t).map(([, d]) => Math.round(d)),
    };
  }, t0);
  await page.close();
  if (r.state !== 'done') throw new Error(`the page's map failed: ${r.status}`);
  console.error(`bench-wasm: page-map: ${r.status} ${r.long.length} long tasks`);
  return {
    scenario: 'page-map',
    x: MAP.x.join(' '),
    y: MAP.y.join(' '),
    seeds: Number(MAP.seeds),
    cells: r.cells,
    workers: r.workers,
    wall_ms: r.ms,
    long_tasks_ms: r.long,
  };
}

// ---------------------------------------------------------------------------------------------
// The table.

const f = (x, d) => x.toFixed(d);
const sp = (s, d, k = 1) => `${f(s.median / k, d)} (${f(s.min / k, d)}–${f(s.max / k, d)})`;

function table(native, wasm) {
  const page = wasm.find((r) => r.scenario === 'page-responsive');
  const grid = wasm.find((r) => r.scenario === 'page-grid');
  const map = wasm.find((r) => r.scenario === 'page-map');
  wasm = wasm.filter((r) => !r.scenario.startsWith('page-'));
  const byName = new Map(wasm.map((r) => [r.scenario, r]));
  const out = [];
  const problems = [];
  out.push(
    '| scenario | outcome at sim s | sim s / wall s, native | sim s / wall s, wasm | M events/s, native | M events/s, wasm | wasm/native | bytes/page | wall ms to outcome or seek ms, native | same, wasm (page) |',
  );
  out.push('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|');
  const ratios = [];
  for (const n of native) {
    const w = byName.get(n.scenario);
    const isSeek = n.scenario.startsWith('seek-');
    const ratio = w ? w.sim_s_per_wall_s.median / n.sim_s_per_wall_s.median : NaN;
    if (w && !isSeek) ratios.push({ name: n.scenario, ratio });
    if (w && (w.trace_hash !== n.trace_hash || w.link !== n.link || w.ticks !== n.ticks)) {
      problems.push(
        `${n.scenario}: native and wasm ran different runs (native ${n.link} ${n.trace_hash} at tick ${n.ticks}, wasm ${w.link} ${w.trace_hash} at tick ${w.ticks})`,
      );
    }
    out.push(
      `| ${isSeek ? `${n.scenario} (seek to ${f(n.sim_s, 0)} s)` : n.scenario} | ${isSeek ? '—' : `${n.outcome} at ${f(n.sim_s, 2)}`} | ${sp(n.sim_s_per_wall_s, 0)} | ${w ? sp(w.sim_s_per_wall_s, 0) : 'n/a'} | ${sp(n.events_per_s, 2, 1e6)} | ${w ? sp(w.events_per_s, 2, 1e6) : 'n/a'} | ${w ? f(ratio, 2) : 'n/a'} | ${isSeek ? '—' : f(n.bytes_per_page, 1)} | ${sp(n.wall_ms, 1)} | ${w ? sp(w.wall_ms, 1) : 'n/a'} |`,
    );
  }
  for (const w of wasm) {
    if (!native.some((n) => n.scenario === w.scenario)) problems.push(`${w.scenario}: no native result`);
  }

  // The budgets.
  const lines = [];
  const mark = (ok) => (ok ? 'PASS' : 'FAIL');
  if (ratios.length) {
    const worst = ratios.reduce((a, b) => (b.ratio < a.ratio ? b : a));
    lines.push(
      `${mark(worst.ratio >= BUDGET.wasmRatio)}  wasm >= ${BUDGET.wasmRatio} of native speed on every scenario: lowest ${f(worst.ratio, 2)} (${worst.name})`,
    );
    const long = ratios.filter((r) => {
      const n = native.find((x) => x.scenario === r.name);
      return n && n.wall_ms.median > BUDGET.longRunMs;
    });
    if (long.length) {
      const worstLong = long.reduce((a, b) => (b.ratio < a.ratio ? b : a));
      lines.push(
        `${mark(worstLong.ratio >= BUDGET.wasmRatioLong)}  wasm >= ${BUDGET.wasmRatioLong} of native speed on every scenario over ${BUDGET.longRunMs} ms natively: lowest ${f(worstLong.ratio, 2)} (${long.map((r) => `${r.name} ${f(r.ratio, 2)}`).join(', ')})`,
      );
    }
  }
  const def = native.find((n) => n.scenario === 'lockup-0630');
  if (def) {
    lines.push(
      `${mark(def.wall_ms.median < BUDGET.defaultOutcomeMs)}  default scenario to its outcome natively < ${BUDGET.defaultOutcomeMs} ms: ${f(def.wall_ms.median, 1)} ms median (${def.outcome} at ${f(def.sim_s, 2)} s)`,
    );
  }
  const bpp = native.filter((n) => !n.scenario.startsWith('seek-'));
  if (bpp.length) {
    const worst = bpp.reduce((a, b) => (b.bytes_per_page > a.bytes_per_page ? b : a));
    lines.push(
      `${mark(worst.bytes_per_page <= BUDGET.bytesPerPage)}  <= ${BUDGET.bytesPerPage} bytes per simulated page: highest ${f(worst.bytes_per_page, 1)} (${worst.scenario}; ${bpp.map((n) => `${n.scenario} ${f(n.bytes_per_page, 1)}`).join(', ')})`,
    );
  }
  const seeks = wasm.filter((w) => w.scenario.startsWith('seek-'));
  if (seeks.length) {
    const worst = seeks.reduce((a, b) => (b.wall_ms.median > a.wall_ms.median ? b : a));
    lines.push(
      `${mark(worst.wall_ms.median < BUDGET.seekMs)}  seek to any point of a 300 s run in the page < ${BUDGET.seekMs} ms: slowest ${f(worst.wall_ms.median, 1)} ms median, max ${f(worst.wall_ms.max, 1)} ms, first (cold) ${f(worst.cold_wall_ms ?? NaN, 1)} ms (${worst.scenario})`,
    );
  }
  if (page) {
    const longest = page.long_tasks_ms.length ? Math.max(...page.long_tasks_ms) : 0;
    lines.push(
      `${mark(longest <= BUDGET.longTaskMs)}  no main-thread task over ${BUDGET.longTaskMs} ms while the page plays a run or seeks (${page.link} at ${page.speed}×, ${page.runs} runs, 5 seeks each): ${page.long_tasks_ms.length} long tasks${page.long_tasks_ms.length ? `, longest ${longest} ms` : ''}`,
    );
  }
  if (grid) {
    const longest = grid.long_tasks_ms.length ? Math.max(...grid.long_tasks_ms) : 0;
    lines.push(
      `${mark(grid.wall_ms < BUDGET.gridMs)}  the page's switch grid of the default scenario (${grid.cells} cells x ${grid.seeds} seeds, ${grid.workers} workers) < ${BUDGET.gridMs / 1000} s: ${f(grid.wall_ms / 1000, 1)} s`,
    );
    lines.push(
      `${mark(longest <= BUDGET.longTaskMs)}  no main-thread task over ${BUDGET.longTaskMs} ms while the grid runs: ${grid.long_tasks_ms.length} long tasks${grid.long_tasks_ms.length ? `, longest ${longest} ms` : ''}`,
    );
  }
  if (map) {
    const longest = map.long_tasks_ms.length ? Math.max(...map.long_tasks_ms) : 0;
    lines.push(
      `${mark(map.wall_ms < MAP.budgetMs)}  the page's phase map (${map.x} × ${map.y}: ${map.cells} cells x ${map.seeds} seeds, ${map.workers} workers) < ${MAP.budgetMs / 1000} s: ${f(map.wall_ms / 1000, 1)} s`,
    );
    lines.push(
      `${mark(longest <= BUDGET.longTaskMs)}  no main-thread task over ${BUDGET.longTaskMs} ms while the map runs: ${map.long_tasks_ms.length} long tasks${map.long_tasks_ms.length ? `, longest ${longest} ms` : ''}`,
    );
  }
  const ratioNote = 'wasm/native = median sim s per wall s in the page / median natively';
  return { text: `${out.join('\n')}\n\n${ratioNote}\n\nBudgets:\n${lines.map((l) => `  ${l}`).join('\n')}`, problems };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  let wasm;
  if (o.wasm) {
    wasm = readLines(o.wasm);
  } else {
    wasm = await runBrowser(o);
    const jsonl = wasm.map((r) => JSON.stringify(r)).join('\n') + '\n';
    if (o.out) writeFileSync(o.out, jsonl);
    else if (!o.native) process.stdout.write(jsonl);
  }
  if (o.native) {
    const { text, problems } = table(readLines(o.native), wasm);
    process.stdout.write(`${text}\n`);
    if (wasm[0] && wasm[0].browser) process.stdout.write(`\nwasm: ${wasm[0].browser}, in a module Web Worker, runUntil in ${wasm[0].slice_ms} ms slices\n`);
    for (const p of problems) console.error(`bench-wasm: ${p}`);
    if (problems.length) process.exit(1);
  }
}

main().catch((err) => {
  console.error(`bench-wasm: ${err && err.message ? err.message : err}`);
  process.exit(1);
});
