// Timed interventions in the page: one added at the cursor goes into the link and changes the
// run; the list in the form removes it again.
import { test, expect } from '@playwright/test';
import { RUN_TIMEOUT, collectErrors, openLab, runToEnd } from './helpers.mjs';

let errors = [];
test.beforeEach(async ({ page }) => {
  errors = collectErrors(page);
});
test.afterEach(async () => {
  expect(errors, 'no console errors or uncaught exceptions').toEqual([]);
});

const DEFAULT = '#v=1&preset=dfly-2008-06-30&ram=64M&seed=19';

test('an intervention added at the cursor is in the link, the run and the key moments', async ({ page }) => {
  test.setTimeout(RUN_TIMEOUT * 2);
  await openLab(page, DEFAULT);
  const plain = await runToEnd(page);
  // the cursor: the moment free + cache first fell into the system reserve
  const moment = page.locator('#moments-list button[data-kind="below-reserved"]').first();
  const tick = Number(await moment.getAttribute('data-tick'));
  await moment.click();
  await expect(page.locator('#iv-time')).toHaveValue((tick / 100).toFixed(2));
  await page.selectOption('#iv-action', 'sync');
  await expect(page.locator('#iv-value')).toBeDisabled();
  await page.click('#intervene button[type="submit"]');
  // into the link, in the link's own syntax, and the run stands at that moment
  const ms = tick * 10;
  const at = ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
  await expect.poll(() => page.evaluate(() => decodeURIComponent(location.hash))).toContain(`&at=${at}:sync`);
  await expect(page.locator('#time-out')).toHaveText(`${(tick / 100).toFixed(2)} s`);
  await expect(page.locator('#iv-list li')).toHaveCount(1);
  await expect(page.locator('#iv-list li')).toContainText('sync(2)');
  // the run goes on from there: the sync is a key moment, and the run is another one
  const changed = await runToEnd(page);
  await expect(page.locator(`#moments-list button[data-kind="intervention"][data-tick="${tick}"]`)).toContainText('sync0');
  await expect(page.locator('#time-marks .time-mark.act')).toHaveCount(1);
  expect(changed.hash).not.toBe(plain.hash);
  // removed, the scenario is the one we started from, and so is its run
  await page.click('#iv-list button[data-index="0"]');
  await expect(page.locator('#iv-list li')).toHaveCount(0);
  await expect.poll(() => page.evaluate(() => location.hash)).not.toContain('at=');
  const again = await runToEnd(page);
  expect(again.hash).toBe(plain.hash);
});

test('a bad intervention is refused with the engine’s words and changes nothing', async ({ page }) => {
  await openLab(page, DEFAULT);
  await page.fill('#iv-time', '20');
  await page.selectOption('#iv-action', 'stop');
  await page.fill('#iv-value', 'hog0');
  await page.click('#intervene button[type="submit"]');
  await expect(page.locator('#iv-error')).toContainText('a hog cannot be stopped');
  await expect.poll(() => page.evaluate(() => location.hash)).not.toContain('at=');
  await expect(page.locator('#iv-list li')).toHaveCount(0);
});
