// Shared steps of the page tests: error collection, waiting for the lab, running to the end,
// the accessibility audit, screenshots.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { expect } from '@playwright/test';

export const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
mkdirSync(ARTIFACTS, { recursive: true });

/** A run of the default scenario may take a while in a slow browser; never more than this. */
export const RUN_TIMEOUT = 120_000;

/** Collects console errors and uncaught exceptions of a page (and its worker). */
export function collectErrors(page) {
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('worker', (worker) => {
    worker.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(`worker console: ${msg.text()}`);
    });
  });
  return errors;
}

/** Opens the page (optionally at a link fragment) and waits until the engine is loaded. */
export async function openLab(page, fragment = '') {
  await page.goto(`/${fragment}`);
  await expect(page.locator('#engine-version')).toHaveText(/^\d+\.\d+\.\d+/);
  await expect(page.locator('body')).toHaveAttribute('data-state', /^(idle|paused|finished)$/);
}

/** Chooses a kernel preset in the form and waits for the fresh run to be loaded. */
export async function chooseKernel(page, name) {
  await page.selectOption('#kernel', name);
  await expect(page.locator('#kernel')).toHaveValue(name);
  await expect(page.locator('body')).toHaveAttribute('data-state', 'idle');
}

/** Runs as fast as possible until the outcome is decided; returns the outcome line and hash. */
export async function runToEnd(page) {
  await page.selectOption('#speed', '0');
  // a run under way goes on at the new speed (Run would pause it); otherwise Run starts one
  if ((await page.locator('body').getAttribute('data-state')) !== 'running') await page.click('#run');
  await expect(page.locator('body')).toHaveAttribute('data-state', 'finished', { timeout: RUN_TIMEOUT });
  await expect(page.locator('#trace-hash')).toHaveAttribute('data-trace-hash', /^[0-9a-f]{16}$/);
  return {
    outcome: (await page.locator('#outcome-line').textContent()).trim(),
    hash: await page.locator('#trace-hash').getAttribute('data-trace-hash'),
  };
}

/** The console's text, one string per line. */
export async function consoleLines(page) {
  return page.locator('#console-lines li').allTextContents();
}

/** Serious and critical axe-core findings, one string each (empty when the page passes). */
export async function seriousA11yViolations(page) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

export async function screenshot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}

/** The WCAG 2.2 AA rule set of axe-core (which includes the A and AA rules of 2.0 and 2.1). */
export const WCAG22AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** Every axe-core finding of the WCAG 2.2 AA rule set, whatever its impact, one string each. */
export async function wcagViolations(page) {
  const { violations } = await new AxeBuilder({ page }).withTags(WCAG22AA).analyze();
  return violations.map((v) => `${v.id} (${v.impact}): ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

/**
 * The release command line, which `make e2e` builds first (PAGEOUT_SIM names it; else it is
 * looked for in $CARGO_TARGET_DIR or target/).
 */
export const PAGEOUT_SIM =
  process.env.PAGEOUT_SIM ||
  path.resolve(fileURLToPath(new URL('..', import.meta.url)), process.env.CARGO_TARGET_DIR || 'target', 'release', 'pageout-sim');

/** Runs `pageout-sim` with arguments; returns its exit status and output. */
export function pageoutSim(...args) {
  if (!existsSync(PAGEOUT_SIM)) {
    throw new Error(`${PAGEOUT_SIM} does not exist: build it with \`cargo build --release --features cli -p pageout-core\` (make e2e does)`);
  }
  const r = spawnSync(PAGEOUT_SIM, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Records every main-thread task over 50 ms (PerformanceObserver 'longtask') in window.__longTasks. */
export async function watchLongTasks(page) {
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
}

/** A task of a thread's event loop in a Chromium trace: category `toplevel`, or devtools'. */
const TASK_EVENTS = new Set(['ThreadControllerImpl::RunTask', 'RunTask']);

/**
 * The page's main-thread tasks of at least `minMs` of wall time in a Chromium trace
 * (`browser.startTracing(page, {categories: ['toplevel']})` … `stopTracing`), each with its wall
 * time and the CPU time its thread spent on it (`tdur`), in milliseconds. On a machine shared with other work the wall time of a task grows with
 * the load; its CPU time is the work the page itself did.
 */
export function mainThreadTasks(traceBuffer, minMs = 0) {
  const trace = JSON.parse(traceBuffer.toString('utf8'));
  const events = trace.traceEvents || trace;
  const main = new Set(
    events.filter((e) => e.name === 'thread_name' && e.args && e.args.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`),
  );
  return events
    .filter((e) => e.ph === 'X' && TASK_EVENTS.has(e.name) && main.has(`${e.pid}:${e.tid}`) && e.dur >= minMs * 1000)
    .map((e) => ({ wallMs: e.dur / 1000, cpuMs: (e.tdur || 0) / 1000 }));
}
