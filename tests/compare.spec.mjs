// Compare mode: one scenario under the kernel of the report and under the fix, in two workers in
// lockstep. The first divergence the page shows is the one the command line finds for the same
// pair, and each run of the pair is the run it would be alone.
import { test, expect } from '@playwright/test';
import { RUN_TIMEOUT, collectErrors, openLab, pageoutSim, screenshot, seriousA11yViolations } from './helpers.mjs';

let errors = [];
test.beforeEach(async ({ page }) => {
  errors = collectErrors(page);
});
test.afterEach(async () => {
  expect(errors, 'no console errors or uncaught exceptions').toEqual([]);
});

/** The first divergence `pageout-sim diff` prints for two links: its tick, or null. */
function cliDivergence(linkA, linkB) {
  const r = pageoutSim('diff', linkA, linkB, '--json');
  expect([0, 1], `pageout-sim diff exits 0 or 1: ${r.stderr}`).toContain(r.status);
  const d = JSON.parse(r.stdout);
  expect(r.status).toBe(d.tick === null ? 0 : 1);
  return d;
}

/** The trace hash of a link's run alone, from the command line. */
function cliTraceHash(link) {
  const r = pageoutSim('run', '--link', link, '--json');
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout).traceHash;
}

/** Opens compare mode from the page's Compare button on the scenario on screen. */
async function compareFromPage(page) {
  await page.click('#compare-open');
  await expect(page.locator('body')).toHaveAttribute('data-mode', 'compare');
  await expect(page.locator('#compare-run')).toBeEnabled();
}

test('the default compare link shows the first divergence where pageout-sim diff finds it; each run hashes as it does alone', async ({ page, context }) => {
  test.setTimeout(RUN_TIMEOUT + 60_000);
  await openLab(page);
  await compareFromPage(page);
  // the default B: the same scenario under the fix of July 1 2008
  await expect(page.locator('#compare-b-kernel')).toHaveValue('dfly-2008-07-01');
  await expect.poll(() => page.evaluate(() => location.hash)).toMatch(/^#v=1&.*&b\.preset=dfly-2008-07-01/);
  const link = await page.evaluate(() => location.hash);

  // The link opens compare mode by itself, in a fresh page.
  const fresh = await context.newPage();
  const freshErrors = collectErrors(fresh);
  await fresh.goto(`/${link}`);
  await expect(fresh.locator('body')).toHaveAttribute('data-mode', 'compare');
  const root = fresh.locator('#compare');
  await expect(root).toHaveAttribute('data-link-b', /preset=dfly-2008-07-01/);
  const linkA = await root.getAttribute('data-link-a');
  const linkB = await root.getAttribute('data-link-b');
  expect(linkA).not.toContain('b.');

  // The marker stands at the tick the command line prints for the same pair.
  const cli = cliDivergence(linkA, linkB);
  expect(cli.tick, 'the bug and the fix differ somewhere').not.toBeNull();
  const box = fresh.locator('#compare-divergence');
  await expect(box).toHaveAttribute('data-state', 'differ', { timeout: 30_000 });
  await expect(box).toHaveAttribute('data-tick', String(cli.tick));
  await expect(fresh.locator('#compare-divergence-marker')).toHaveAttribute('data-tick', String(cli.tick));
  await expect(fresh.locator('#compare-divergence-text')).toContainText(`${(cli.tick / 100).toFixed(2)} s`);
  // what each run did then, in the engine's words
  await expect(fresh.locator('#compare-divergence-a')).toHaveText(cli.a);
  await expect(fresh.locator('#compare-divergence-b')).toHaveText(cli.b);

  // Both runs to their ends in lockstep: each has the trace hash of its run alone.
  await fresh.selectOption('#compare-speed', '0');
  await fresh.click('#compare-run');
  await expect(root).toHaveAttribute('data-state', 'finished', { timeout: RUN_TIMEOUT });
  const hashA = await fresh.locator('#cmp-a-hash').getAttribute('data-trace-hash');
  const hashB = await fresh.locator('#cmp-b-hash').getAttribute('data-trace-hash');
  expect(hashA).toMatch(/^[0-9a-f]{16}$/);
  expect(hashA).toBe(cliTraceHash(linkA));
  expect(hashB).toBe(cliTraceHash(linkB));
  expect(hashA).toBe(cli.traceHashA);
  expect(hashB).toBe(cli.traceHashB);
  // the bug locks up, the fix does not
  await expect(fresh.locator('#cmp-a-banner')).toHaveAttribute('data-kind', 'deadlock');
  await expect(fresh.locator('#cmp-b-banner')).not.toHaveAttribute('data-kind', 'deadlock');

  // Seeking moves both: the divergence's moment on the slider, and both threads panels as the
  // first sample after it recorded them (one sample every 10 ticks).
  await fresh.click('#compare-divergence-go');
  await expect(fresh.locator('#compare-time-out')).toHaveText(`${(cli.tick / 100).toFixed(2)} s`);
  const sample = `${((Math.floor(cli.tick / 10) + 1) / 10).toFixed(2)} s`;
  await expect(fresh.locator('#cmp-a-threads-at')).toContainText(`As at ${sample}`);
  await expect(fresh.locator('#cmp-b-threads-at')).toContainText(`As at ${sample}`);

  expect(await seriousA11yViolations(fresh), 'compare mode').toEqual([]);
  await screenshot(fresh, 'compare');
  expect(freshErrors).toEqual([]);
  await fresh.close();
});

test('compare mode: the solo run of A in the page has the hash A has in the pair', async ({ page }) => {
  test.setTimeout(RUN_TIMEOUT + 60_000);
  await openLab(page, '#v=1&preset=dfly-2008-06-30&ram=64M&seed=19&until=60s&b.preset=dfly-2008-07-01');
  await expect(page.locator('body')).toHaveAttribute('data-mode', 'compare');
  await page.selectOption('#compare-speed', '0');
  await page.click('#compare-run');
  await expect(page.locator('#compare')).toHaveAttribute('data-state', 'finished', { timeout: RUN_TIMEOUT });
  const inPair = await page.locator('#cmp-a-hash').getAttribute('data-trace-hash');
  const bInPair = await page.locator('#cmp-b-hash').getAttribute('data-trace-hash');
  expect(inPair).not.toBe(bInPair);

  // Back to one run: A, run alone in the page's own worker.
  await page.click('#compare-close');
  await expect(page.locator('body')).toHaveAttribute('data-mode', 'single');
  await expect.poll(() => page.evaluate(() => location.hash)).not.toContain('b.');
  await page.selectOption('#speed', '0');
  await page.click('#run');
  await expect(page.locator('body')).toHaveAttribute('data-state', 'finished', { timeout: RUN_TIMEOUT });
  await expect(page.locator('#trace-hash')).toHaveAttribute('data-trace-hash', inPair);
});

test('changing B\'s kernel recomputes the pair; Share gives the compare link; a bad b. key is named', async ({ page }) => {
  await openLab(page, '#v=1&preset=dfly-2008-06-30&ram=64M&seed=19&until=60s&b.preset=dfly-2008-07-01');
  await expect(page.locator('body')).toHaveAttribute('data-mode', 'compare');
  await page.selectOption('#compare-b-kernel', 'dfly-2008-06-30');
  // the same kernel on both sides: the engine finds no divergence
  await expect(page.locator('#compare-divergence')).toHaveAttribute('data-state', 'same', { timeout: 30_000 });
  await expect(page.locator('#compare-divergence-text')).toContainText('never differ');
  await expect(page.locator('#compare-divergence-marker')).toBeHidden();

  await page.selectOption('#compare-b-kernel', 'dfly-2008-07-08');
  await expect(page.locator('#compare-divergence')).toHaveAttribute('data-state', 'differ', { timeout: 30_000 });
  await page.click('#compare-share');
  await expect(page.locator('#compare-share-status')).toHaveText(/Link copied|Copy the link below/);
  await expect.poll(() => page.evaluate(() => location.hash)).toContain('b.preset=dfly-2008-07-08');

  // a broken B names its key
  await page.evaluate(() => {
    location.hash = '#v=1&preset=dfly-2008-06-30&b.ram=3M';
  });
  await expect(page.locator('#link-error')).toBeVisible();
  await expect(page.locator('#link-error-list')).toContainText('b.ram');
  await expect(page.locator('body')).not.toHaveAttribute('data-mode', 'compare');
});

test('compare mode at phone width, light and dark', async ({ page }) => {
  test.setTimeout(RUN_TIMEOUT + 60_000);
  await page.setViewportSize({ width: 390, height: 844 });
  await openLab(page, '#v=1&preset=dfly-2008-06-30&ram=64M&seed=19&b.preset=dfly-2008-07-01');
  await expect(page.locator('body')).toHaveAttribute('data-mode', 'compare');
  await page.selectOption('#compare-speed', '0');
  await page.click('#compare-run');
  await expect(page.locator('#compare')).toHaveAttribute('data-state', 'finished', { timeout: RUN_TIMEOUT });
  // nothing wider than the screen
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    expect(await seriousA11yViolations(page), scheme).toEqual([]);
  }
  await screenshot(page, 'compare-phone');
});

test('B may differ in more than its kernel: the compare bar names what else', async ({ page }) => {
  await openLab(page, '#v=1&preset=dfly-2008-06-30&ram=64M&seed=19&until=60s&b.preset=dfly-2008-07-01&b.ram=48M');
  await expect(page.locator('body')).toHaveAttribute('data-mode', 'compare');
  await expect(page.locator('#compare-b-kernel')).toHaveValue('dfly-2008-07-01');
  await expect(page.locator('#compare-b-extra')).toHaveText(', with ram=48M');
  await expect(page.locator('#compare')).toHaveAttribute('data-link-b', /ram=48M/);
  await expect(page.locator('#compare')).toHaveAttribute('data-link-a', /ram=64M/);
});
