// "Where it locks up" and "Shrink this hang": the phase map and the shrink in the page's worker
// pool. The map is the command line's map cell for cell and lives in the URL; the shrink takes
// the command line's steps to the command line's result.
import { test, expect } from '@playwright/test';
import { collectErrors, openLab, pageoutSim, seriousA11yViolations } from './helpers.mjs';

const MAP_TIMEOUT = 180_000;

let errors = [];
test.beforeEach(async ({ page }) => {
  errors = collectErrors(page);
});
test.afterEach(async () => {
  expect(errors, 'no console errors or uncaught exceptions').toEqual([]);
});

/** A short lockup scenario: 60 s runs keep a 3 × 3 map of two seeds quick. */
const LINK = 'v=1&preset=dfly-2008-06-30&ram=64M';
const X = 'mrate=1000/s..3000/s:3';
const Y = 'ram=32M..96M:3';

async function pageCells(page) {
  return page.locator('#map-cells a.map-cell').evaluateAll((cells) =>
    cells
      .map((c) => ({
        cell: Number(c.dataset.cell),
        counts: JSON.parse(c.dataset.counts),
        hash: c.dataset.hash,
        rate: Number(c.dataset.rate),
        median: c.dataset.median === '' ? null : Number(c.dataset.median),
        href: c.getAttribute('href'),
        label: c.getAttribute('aria-label'),
      }))
      .sort((a, b) => a.cell - b.cell),
  );
}

test('a 3 × 3 map of two seeds in the page is pageout-sim map --json cell for cell, and is in the URL', async ({ page }) => {
  test.setTimeout(MAP_TIMEOUT + 60_000);
  await openLab(page, `#${LINK}`);
  await page.selectOption('#map-x-key', 'mrate');
  await page.fill('#map-x-from', '1000/s');
  await page.fill('#map-x-to', '3000/s');
  await page.fill('#map-x-steps', '3');
  await page.selectOption('#map-y-key', 'ram');
  await page.fill('#map-y-from', '32M');
  await page.fill('#map-y-to', '96M');
  await page.fill('#map-y-steps', '3');
  await page.fill('#map-seeds', '2');
  await page.click('#map-start');
  await expect(page.locator('#map')).toHaveAttribute('data-state', /running|done/);
  await expect(page.locator('#map')).toHaveAttribute('data-state', 'done', { timeout: MAP_TIMEOUT });

  const r = pageoutSim('map', '--link', `#${LINK}`, '--x', X, '--y', Y, '--seeds', '1..=2', '--json');
  expect(r.status, r.stderr).toBe(0);
  const cli = JSON.parse(r.stdout);
  const cells = await pageCells(page);
  expect(cells.length).toBe(9);
  expect(cli.cells.length).toBe(9);
  cli.cells.forEach((c, i) => {
    const p = cells[i];
    expect(p.counts, `cell ${i}`).toEqual(c.counts);
    expect(p.hash, `cell ${i} hash`).toBe(c.hash);
    expect(p.rate, `cell ${i} hang rate`).toBe(c.hangRate);
    expect(p.median, `cell ${i} median`).toBe(c.timeToHang ? c.timeToHang.medianS : null);
    expect(p.href, `cell ${i} opens its worst run`).toBe(`#${c.worstLink}`);
  });
  expect(await seriousA11yViolations(page), 'the map panel').toEqual([]);
  // the smallest RAM hangs in every run: the page says so on the cell
  expect(cells[0].label).toContain('hang rate 100%');
  expect(cells[0].label).toMatch(/median time to hang \d+\.\d s/);

  // the map is in the URL, and opening that URL runs the same map
  const url = new URL(page.url());
  expect(url.searchParams.get('mapx')).toBe(X);
  expect(url.searchParams.get('mapy')).toBe(Y);
  expect(url.searchParams.get('mapseeds')).toBe('2');
  await page.goto(page.url());
  await expect(page.locator('#map')).toHaveAttribute('data-state', 'done', { timeout: MAP_TIMEOUT });
  expect(await pageCells(page)).toEqual(cells);

  // a cell opens its worst seed's run
  await page.locator('#map-cells a.map-cell[data-cell="0"]').click();
  await expect(page).toHaveURL(new RegExp(`#${cells[0].href.slice(1).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
});

test('a map can be cancelled, and a bad axis is named', async ({ page }) => {
  await openLab(page, `#${LINK}`);
  await page.fill('#map-seeds', '50');
  await page.click('#map-start');
  await expect(page.locator('#map-cancel')).toBeVisible();
  await page.click('#map-cancel');
  await expect(page.locator('#map')).toHaveAttribute('data-state', 'cancelled');
  await expect(page.locator('#map-status')).toContainText('Cancelled');
  await page.fill('#map-seeds', '1');
  await page.fill('#map-y-from', '16M');
  await page.click('#map-start');
  await expect(page.locator('#map-status')).toContainText('ram=16M is out of range');
});

test('Shrink in the page takes the steps of pageout-sim shrink to its result', async ({ page }) => {
  test.setTimeout(MAP_TIMEOUT);
  const big = 'v=1&preset=dfly-2008-06-30&ram=32M&writers=3&wrate=2M/s&hogs=1&hog=4M&seed=3&at=5s:sync,60s:writer';
  await openLab(page, `#${big}`);
  await page.click('#shrink-start');
  await expect(page.locator('#shrink')).toHaveAttribute('data-state', 'done', { timeout: MAP_TIMEOUT });
  const r = pageoutSim('shrink', `#${big}`, '--json');
  expect(r.status, r.stderr).toBe(0);
  const cli = JSON.parse(r.stdout);
  await expect(page.locator('#shrink')).toHaveAttribute('data-final', cli.current);
  const steps = await page.locator('#shrink-steps li').evaluateAll((li) => li.map((l) => l.dataset.link));
  expect(steps).toEqual(cli.steps.map((s) => s.link));
  await expect(page.locator('#shrink-target')).toContainText(cli.target.cycle);
  await expect(page.locator('#shrink-status')).toContainText(`Shrunk in ${cli.steps.length} step`);
});

test('Shrink says so when the scenario does not hang', async ({ page }) => {
  await openLab(page, '#v=1&preset=dfly-2008-07-01&until=20s');
  await page.click('#shrink-start');
  await expect(page.locator('#shrink')).toHaveAttribute('data-state', 'failed');
  await expect(page.locator('#shrink-status')).toContainText('does not hang');
});
