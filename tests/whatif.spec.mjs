// The what-if kernels on the page: what if DragonFly 2008-06-30 had done what Linux or FreeBSD
// does — labelled as such, never as Linux or FreeBSD, with the thread they add in the threads
// panel and its accounting, and the same run as on the command line.
import { test, expect } from '@playwright/test';
import { RUN_TIMEOUT, chooseKernel, collectErrors, openLab, pageoutSim, runToEnd } from './helpers.mjs';

let errors = [];
test.beforeEach(async ({ page }) => {
  errors = collectErrors(page);
});
test.afterEach(async () => {
  expect(errors, 'no console errors or uncaught exceptions').toEqual([]);
});

test('the what-if kernels and switches say they are what-ifs on the 2008-06-30 kernel', async ({ page }) => {
  await openLab(page);
  await expect(page.locator('#kernel optgroup')).toHaveCount(3);
  const group = page.locator('#kernel optgroup[label="what if DragonFly 2008-06-30 had done what Linux / FreeBSD do"]');
  await expect(group).toHaveCount(1);
  await expect(group.locator('option')).toHaveText(['whatif-linux', 'whatif-freebsd']);
  for (const [kernel, system] of [['whatif-linux', 'Linux'], ['whatif-freebsd', 'FreeBSD']]) {
    await chooseKernel(page, kernel);
    await expect(page.locator('#kernel-hint')).toContainText(`what if DragonFly 2008-06-30 had done what ${system} does`);
    await expect(page.locator('#kernel-hint')).toContainText(`not ${system}`);
  }
  for (const key of ['memalloc', 'mempool', 'flusher', 'pageprocwait', 'laundry']) {
    const mech = page.locator(`li.mech[data-key="${key}"]`);
    await expect(mech.locator('label')).toHaveText(/^what if: /);
    await expect(mech.locator('.hint').first()).toContainText('DragonFly never did this');
  }
});

test('the laundry thread shows in the threads panel with its pageouts, and the run is the command line’s', async ({ page }) => {
  test.setTimeout(RUN_TIMEOUT + 30_000);
  const link = 'v=1&preset=whatif-freebsd&ram=64M&seed=19&until=60s';
  await openLab(page, `#${link}`);
  const { hash } = await runToEnd(page);
  const row = page.locator('#threads-body tr', { has: page.locator('text=laundry') });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(/\d[\d,]* pageouts/);
  const cli = pageoutSim('run', '--link', `#${link}`);
  expect(cli.stdout).toContain(`eh=${hash}`);
});
