// The kernels after 2008: the form offers them and their switches, and the 2017 kernel's second
// pageout daemon runs like any other kernel thread (threads panel, console, key moments).
import { test, expect } from '@playwright/test';
import { RUN_TIMEOUT, collectErrors, consoleLines, openLab, runToEnd, screenshot } from './helpers.mjs';

let errors = [];
test.beforeEach(async ({ page }) => {
  errors = collectErrors(page);
});
test.afterEach(() => {
  expect(errors).toEqual([]);
});

test('the 2012 and 2017 kernels and their switches are in the form', async ({ page }) => {
  await openLab(page, '#v=1&preset=dfly-2012-01');
  await expect(page.locator('#kernel')).toHaveValue('dfly-2012-01');
  await expect(page.locator('#kernel optgroup[label="DragonFly after July 2008"] option')).toHaveText([
    'dfly-2008-12',
    'dfly-2010-10',
    'dfly-2011-11',
    'dfly-2012-01',
    'dfly-2017-08',
  ]);
  await expect(page.locator('#mech-bio')).toHaveValue('fix-2012');
  for (const key of ['relbufmin', 'hammerbawrite', 'flushervm']) {
    await expect(page.locator(`#mech-${key}`)).toBeChecked();
  }
  await expect(page.locator('#mech-emergpager')).not.toBeChecked();
  await expect(page.locator('#mech-emergpager-explain')).toContainText('c3feb36a35');
});

test('the emergency pager takes over in the threads panel, the console and the key moments', async ({ page }) => {
  test.setTimeout(RUN_TIMEOUT + 30_000);
  await openLab(page, '#v=1&preset=dfly-2017-08&ram=64M&hogs=1&hog=32M&seed=3&until=60s');
  const { outcome } = await runToEnd(page);
  expect(outcome).toMatch(/^Survived 60\.00 s/);
  const row = page.locator('#threads-body tr', { hasText: 'emergpager' });
  await expect(row).toHaveCount(1);
  // it took pages (swap metadata) from the system reserve while it paged the hog out
  await expect(row).not.toContainText('0 · 0 · 0');
  expect(await consoleLines(page)).toContainEqual(expect.stringContaining('Emergency pager running'));
  await expect(page.locator('#moments-list button[data-kind="emergency-pager"]').first()).toContainText('emergpager');
  await screenshot(page, 'emergency-pager');
});
