// "Every kernel on this workload": the survival curves in the page's worker pool are the command
// line's `pageout-sim survival --json` kernel for kernel, live in the URL, and can be cancelled.
import { test, expect } from '@playwright/test';
import { collectErrors, openLab, pageoutSim, seriousA11yViolations } from './helpers.mjs';

const SURVIVAL_TIMEOUT = 120_000;

let errors = [];
test.beforeEach(async ({ page }) => {
  errors = collectErrors(page);
});
test.afterEach(async () => {
  expect(errors, 'no console errors or uncaught exceptions').toEqual([]);
});

/** A workload tight enough that both kernels lose a run in 300 s, and keep others. */
const LINK = 'v=1&ram=48M&mrate=5000/s';
const KERNELS = ['dfly-2008-06-29', 'dfly-2008-07-01'];

async function pageRows(page) {
  return page.locator('#survival-table tbody tr').evaluateAll((rows) =>
    rows.map((r) => ({
      kernel: r.dataset.kernel,
      deaths: JSON.parse(r.dataset.deaths),
      rates: JSON.parse(r.dataset.rates),
      median: r.dataset.median === '' ? null : Number(r.dataset.median),
      killer: r.dataset.killer,
      href: r.querySelector('a')?.getAttribute('href') ?? null,
    })),
  );
}

test('a survival of two kernels × three seeds in the page is pageout-sim survival --json, and is in the URL', async ({ page }) => {
  test.setTimeout(SURVIVAL_TIMEOUT + 60_000);
  await openLab(page, `#${LINK}`);
  // every kernel preset has its box, all ticked
  const boxes = page.locator('#survival-kernels input[type=checkbox]');
  expect(await boxes.count()).toBeGreaterThanOrEqual(KERNELS.length);
  for (const box of await boxes.all()) {
    if (!KERNELS.includes(await box.getAttribute('value'))) await box.uncheck();
  }
  await page.fill('#survival-seeds', '3');
  await page.fill('#survival-until', '300s');
  await page.click('#survival-start');
  await expect(page.locator('#survival')).toHaveAttribute('data-state', /planning|running|done/);
  await expect(page.locator('#survival')).toHaveAttribute('data-state', 'done', { timeout: SURVIVAL_TIMEOUT });

  const r = pageoutSim('survival', '--link', `#${LINK}`, '--kernels', KERNELS.join(','), '--seeds', '1..=3', '--until', '300s', '--json');
  expect(r.status, r.stderr).toBe(0);
  const cli = JSON.parse(r.stdout);
  const rows = await pageRows(page);
  expect(rows.map((x) => x.kernel)).toEqual(KERNELS);
  expect(cli.kernels.map((k) => k.kernel)).toEqual(KERNELS);
  cli.kernels.forEach((k, i) => {
    const p = rows[i];
    expect(p.deaths, `${k.kernel} death ticks`).toEqual(k.deathTicks);
    expect(p.rates, `${k.kernel} hang rates`).toEqual(k.hangRate);
    expect(p.median, `${k.kernel} median`).toBe(k.medianS);
    expect(p.killer, `${k.kernel} killer`).toBe(k.killer ? k.killer.cause : '');
    expect(p.href, `${k.kernel} opens its killer's run`).toBe(k.killer ? `#${k.killer.link}` : null);
  });
  // this workload kills a run of each kernel within 300 s, and not every run
  for (const k of cli.kernels) expect(k.dead, k.kernel).toBeGreaterThan(0);
  for (const k of cli.kernels) expect(k.dead, k.kernel).toBeLessThan(3);
  // one line per kernel in the chart, the legend naming them
  const legend = await page.locator('#survival-chart .u-legend .u-series .u-label').allTextContents();
  expect(legend).toEqual(['time', ...KERNELS]);
  await expect(page.locator('#survival-chart canvas')).toHaveCount(1);
  expect(await seriousA11yViolations(page), 'the survival panel').toEqual([]);
  // a kernel keeps the colour of its place among all kernels (06-29 first, 07-01 third), as
  // in the command line's picture, whichever others are ticked
  const keys = await page.locator('#survival-table tbody .key').evaluateAll((ks) => ks.map((k) => getComputedStyle(k).backgroundColor));
  expect(keys).toEqual(['rgb(214, 39, 40)', 'rgb(188, 189, 34)']);
  // the chart follows the panel's width
  const chartWidth = () => page.locator('#survival-chart .uplot').evaluate((e) => e.getBoundingClientRect().width);
  const wide = await chartWidth();
  const viewport = page.viewportSize();
  await page.setViewportSize({ width: viewport.width - 300, height: viewport.height });
  await expect.poll(chartWidth).toBeLessThan(wide - 200);
  await page.setViewportSize(viewport);
  await expect.poll(chartWidth).toBeGreaterThan(wide - 2);

  // the survival is in the URL, and opening that URL runs the same survival
  const url = new URL(page.url());
  expect(url.searchParams.get('survival')).toBe(KERNELS.join(','));
  expect(url.searchParams.get('survseeds')).toBe('3');
  expect(url.searchParams.get('survuntil')).toBe('300s');
  await page.goto(page.url());
  await expect(page.locator('#survival')).toHaveAttribute('data-state', 'done', { timeout: SURVIVAL_TIMEOUT });
  expect(await pageRows(page)).toEqual(rows);
});

test('a survival under way can be cancelled, and a bad horizon is refused with the codec message', async ({ page }) => {
  test.setTimeout(60_000);
  await openLab(page);
  await page.fill('#survival-until', 'forever');
  await page.click('#survival-start');
  await expect(page.locator('#survival-status')).toContainText('The survival cannot be planned: until:');
  await expect(page.locator('#survival')).toHaveAttribute('data-state', 'idle');

  await page.fill('#survival-until', '3600s');
  await page.fill('#survival-seeds', '200');
  await page.click('#survival-start');
  await expect(page.locator('#survival')).toHaveAttribute('data-state', 'running');
  await expect(page.locator('#survival-cancel')).toBeVisible();
  await page.click('#survival-cancel');
  await expect(page.locator('#survival')).toHaveAttribute('data-state', 'cancelled');
  await expect(page.locator('#survival-status')).toContainText('Cancelled after');
  await expect(page.locator('#survival-status')).toContainText('the kernels whose every seed finished are drawn');
  await expect(page.locator('#survival-start')).toBeEnabled();
});

test('a survival cancelled after a kernel finished draws that kernel and names the one left out', async ({ page }) => {
  test.setTimeout(SURVIVAL_TIMEOUT);
  await openLab(page);
  // one seed each, an hour: 2008-06-30 hangs early, the Linux what-if runs the whole hour
  const boxes = page.locator('#survival-kernels input[type=checkbox]');
  for (const box of await boxes.all()) {
    if (!['dfly-2008-06-30', 'whatif-linux'].includes(await box.getAttribute('value'))) await box.uncheck();
  }
  await page.fill('#survival-seeds', '1');
  await page.fill('#survival-until', '3600s');
  await page.click('#survival-start');
  await expect.poll(() => page.locator('#survival-bar').evaluate((b) => b.value), { timeout: SURVIVAL_TIMEOUT }).toBeGreaterThan(0);
  await page.click('#survival-cancel').catch(() => {});
  await expect(page.locator('#survival')).toHaveAttribute('data-state', /cancelled|done/);
  const rows = await pageRows(page);
  if ((await page.locator('#survival').getAttribute('data-state')) === 'cancelled') {
    // the one that finished is drawn, the other is named as left out
    expect(rows.length).toBe(1);
    await expect(page.locator('#survival-rule')).toContainText('left out');
    await expect(page.locator('#survival-chart canvas')).toHaveCount(1);
  } else {
    expect(rows.length).toBe(2); // the second run finished before the click
  }
});
