// "What cures it": the switch grid in the page's worker pool. It is the command line's grid cell
// for cell, it keeps the page responsive while it runs, it can be cancelled, and a cell opens its
// worst seed's run.
import os from 'node:os';
import { test, expect } from '@playwright/test';
import { ARTIFACTS, collectErrors, mainThreadTasks, openLab, pageoutSim, screenshot, seriousA11yViolations, watchLongTasks } from './helpers.mjs';

/** A grid of two seeds takes a few seconds per core; never more than this. */
const GRID_TIMEOUT = 240_000;

let errors = [];
test.beforeEach(async ({ page }) => {
  errors = collectErrors(page);
});
test.afterEach(async () => {
  expect(errors, 'no console errors or uncaught exceptions').toEqual([]);
});

/** What the page's cells say, in the plan's order. */
async function pageCells(page) {
  return page.locator('#grid-cells .cell').evaluateAll((cells) =>
    cells
      .map((c) => ({
        cell: Number(c.dataset.cell),
        on: c.dataset.on ? c.dataset.on.split(',') : [],
        counts: JSON.parse(c.dataset.counts || '{}'),
        href: c.getAttribute('href'),
        cures: c.classList.contains('cures'),
        hash: c.dataset.hash,
      }))
      .sort((a, b) => a.cell - b.cell),
  );
}

test('a two-seed grid in the page is pageout-sim grid --json cell for cell, and no main-thread task runs over 50 ms', async ({ page, browser }) => {
  test.setTimeout(GRID_TIMEOUT + 60_000);
  await watchLongTasks(page);
  await openLab(page);
  const link = (await page.evaluate(() => location.hash)).replace(/^#/, '');

  await page.fill('#grid-seeds', '2');
  const loadBefore = os.loadavg()[0];
  await browser.startTracing(page, { categories: ['toplevel'] });
  const t0 = await page.evaluate(() => performance.now());
  await page.click('#grid-start');
  await expect(page.locator('#grid')).toHaveAttribute('data-state', 'running');
  await expect(page.locator('#grid-cancel')).toBeVisible();
  await expect(page.locator('#grid-bar')).toBeVisible();
  await expect(page.locator('#grid')).toHaveAttribute('data-state', 'done', { timeout: GRID_TIMEOUT });
  const t1 = await page.evaluate(() => performance.now());
  const tasks = mainThreadTasks(await browser.stopTracing(), 0);
  expect(tasks.length, 'the trace holds the main thread\'s tasks').toBeGreaterThan(0);
  const long = await page.evaluate(([a, b]) => window.__longTasks.filter((t) => t.start >= a && t.start <= b), [t0, t1]);
  const load = Math.max(loadBefore, os.loadavg()[0]);
  test.info().annotations.push({
    type: 'main thread while the grid ran',
    description: `${long.length} long tasks (PerformanceObserver, wall clock)${long.length ? `, longest ${Math.max(...long.map((t) => t.duration))} ms` : ''}; ` +
      `${tasks.length} main-thread tasks, at most ${Math.max(...tasks.map((t) => t.cpuMs)).toFixed(1)} ms of CPU and ` +
      `${Math.max(...tasks.map((t) => t.wallMs)).toFixed(1)} ms of wall time each (trace); load average ${load.toFixed(1)} on ${os.cpus().length} CPUs`,
  });
  // The work the page does on its main thread: never 50 ms of CPU in one task.
  expect(tasks.filter((t) => t.cpuMs > 50), 'main-thread tasks with over 50 ms of CPU time').toEqual([]);
  // What a user feels, the wall clock: holds whenever the machine has a core to spare for the
  // main thread beside the grid's workers (on a machine loaded by other work, a task of 5 ms of
  // CPU can take 50 ms of wall time, and then only the CPU time above says something).
  if (load < os.cpus().length) expect(long, 'main-thread tasks over 50 ms while the grid ran').toEqual([]);

  const r = pageoutSim('grid', '--link', `#${link}`, '--seeds', '1..=2', '--json');
  expect(r.status, r.stderr).toBe(0);
  const cli = JSON.parse(r.stdout);
  const cells = await pageCells(page);
  expect(cells.length).toBe(cli.cells.length);
  expect(cells.length).toBeGreaterThanOrEqual(2);
  cli.cells.forEach((c, i) => {
    const p = cells[i];
    expect(p.on, `cell ${i}`).toEqual(c.on);
    expect(p.counts, `cell ${i} (${c.on.join('+')})`).toEqual(c.counts);
    expect(p.cures, `cell ${i} (${c.on.join('+')}) cures`).toBe(c.cures);
    // the same seeds with the same trace hashes
    expect(p.hash, `cell ${i} (${c.on.join('+')}) hash`).toBe(c.hash);
    expect(p.href, `cell ${i} opens its worst seed`).toBe(`#${String(c.worstLink).replace(/^#/, '')}`);
  });
  // the smallest cures, named as the command line names them
  const cures = await page.locator('#grid-cures').textContent();
  if (cli.cures.length === 0) expect(cures).toContain('No combination');
  else if (cli.cures.some((set) => set.length === 0)) expect(cures).toContain('No switch is needed');
  else for (const set of cli.cures) expect(cures).toContain(`{${set.join(', ')}}`);
  await expect(page.locator('#grid-rule')).toContainText(cli.rule);
  // most runs flip only switches a run of their seed never read: they are that run, and the page
  // says how many it simulated (which ones can differ from the command line's, their results not)
  expect(cli.simulated).toBeLessThan(256);
  const status = await page.locator('#grid-status').textContent();
  const simulated = Number(/([\d,]+) of them were simulated/.exec(status)?.[1].replace(/,/g, ''));
  expect(simulated, status).toBeGreaterThan(0);
  expect(simulated, status).toBeLessThan(256);

  expect(await seriousA11yViolations(page), 'with the grid').toEqual([]);
  await page.locator('#grid').scrollIntoViewIfNeeded();
  await page.locator('#grid').screenshot({ path: `${ARTIFACTS}grid.png` });
});

test('Cancel stops the grid at once, and it starts again', async ({ page }) => {
  test.setTimeout(GRID_TIMEOUT + 60_000);
  // whole 300 s runs: the grid simulates each distinct run once, and shorter ones end too soon
  // to be cancelled
  await openLab(page, '#v=1&preset=dfly-2008-06-30&ram=64M&seed=19');
  await page.fill('#grid-seeds', '10');
  await page.click('#grid-start');
  await expect(page.locator('#grid')).toHaveAttribute('data-state', 'running');
  await expect.poll(() => page.locator('#grid-bar').evaluate((b) => b.value)).toBeGreaterThan(0);
  await page.click('#grid-cancel');
  await expect(page.locator('#grid')).toHaveAttribute('data-state', 'cancelled');
  await expect(page.locator('#grid-status')).toContainText('Cancelled after');
  await expect(page.locator('#grid-cancel')).toBeHidden();
  const done = await page.locator('#grid-bar').evaluate((b) => b.value);
  expect(done).toBeLessThan(1280);
  // what finished is reported: the cells with runs open their worst run so far; only a cell
  // whose ten seeds all finished can cure
  await expect(page.locator('#grid-status')).toContainText('The cells show the runs that finished');
  expect(await page.locator('#grid-cells a.cell').count()).toBeGreaterThan(0);
  await expect(page.locator('#grid-cells a.cell').first()).toHaveAttribute('href', /^#v=1&/);
  const curing = await page.locator('#grid-cells .cell.cures').evaluateAll((cells) =>
    cells.map((c) => Object.values(JSON.parse(c.dataset.counts)).reduce((a, b) => a + b, 0)),
  );
  for (const runs of curing) expect(runs).toBe(10);
  await expect(page.locator('#grid-cures')).toHaveText('');

  // a bad seed count says why and blocks the start
  await page.fill('#grid-seeds', '0');
  await expect(page.locator('#grid-seeds')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#grid-start')).toBeDisabled();

  // again, smaller: it finishes; a cell opens its worst seed's run in the page
  await page.fill('#grid-seeds', '1');
  await expect(page.locator('#grid-start')).toBeEnabled();
  await page.click('#grid-start');
  await expect(page.locator('#grid')).toHaveAttribute('data-state', 'done', { timeout: GRID_TIMEOUT });
  const cell = page.locator('#grid-cells a.cell').first();
  const href = await cell.getAttribute('href');
  await cell.click();
  await expect.poll(() => page.evaluate(() => location.hash)).toBe(href);
  await expect(page.locator('body')).toHaveAttribute('data-state', 'idle');
  await expect(page.locator('#seed')).toHaveValue('1');
});

test('the grid at phone width', async ({ page }) => {
  test.setTimeout(GRID_TIMEOUT + 60_000);
  await page.setViewportSize({ width: 390, height: 844 });
  await openLab(page, '#v=1&preset=dfly-2008-06-30&ram=64M&seed=19&until=30s');
  await page.fill('#grid-seeds', '1');
  await page.click('#grid-start');
  await expect(page.locator('#grid')).toHaveAttribute('data-state', 'done', { timeout: GRID_TIMEOUT });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await screenshot(page, 'grid-phone');
});
