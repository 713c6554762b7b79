// The run's story on the page: its key moments drawn under the time slider and on the charts,
// the crisis zoomed from the timeline, by dragging and back with a double-click.
import { test, expect } from '@playwright/test';
import { RUN_TIMEOUT, collectErrors, openLab, pageoutSim, runToEnd, screenshot, wcagViolations } from './helpers.mjs';

let errors = [];
test.beforeEach(async ({ page }) => {
  errors = collectErrors(page);
});
test.afterEach(async () => {
  expect(errors, 'no console errors or uncaught exceptions').toEqual([]);
});

/** The zoom window the page announces, in seconds, or null for the whole run. */
async function zoomWindow(page) {
  const text = await page.locator('#zoom-status').textContent();
  const m = /zoomed to (\d+\.\d\d)–(\d+\.\d\d) s/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

test('the key moments mark the slider; the crisis zooms in from the timeline, by drag, and out again', async ({ page }) => {
  test.setTimeout(RUN_TIMEOUT + 30_000);
  await openLab(page);
  await expect(page.locator('#zoom-crisis')).toBeDisabled();
  await runToEnd(page);
  // one mark under the slider per warning or bad moment of the timeline, the hang among them
  const listed = await page.locator('#moments-list button.moment.warn, #moments-list button.moment.bad').count();
  expect(listed).toBeGreaterThan(0);
  await expect(page.locator('#time-marks .time-mark')).toHaveCount(listed);
  await expect(page.locator('#time-marks .time-mark.bad[data-kind="hang"]')).toHaveCount(1);
  const hangSec = Number(await page.locator('#moments-list button[data-kind="hang"]').getAttribute('data-tick')) / 100;
  const end = Number(await page.locator('#time').getAttribute('max')) / 100;

  // "Zoom to the crisis": a window around the hang, much shorter than the run
  await page.click('#zoom-crisis');
  const crisis = await zoomWindow(page);
  expect(crisis).not.toBeNull();
  expect(crisis[0]).toBeLessThan(hangSec);
  expect(crisis[1]).toBeGreaterThan(hangSec);
  expect(crisis[1] - crisis[0]).toBeLessThan(end / 2);
  await expect(page.locator('#zoom-reset')).toBeEnabled();
  await screenshot(page, 'zoomed-crisis');

  // "Whole run" and a double-click both show everything again
  await page.click('#zoom-reset');
  expect(await zoomWindow(page)).toBeNull();
  await expect(page.locator('#zoom-reset')).toBeDisabled();

  // dragging across a chart zooms to what was dragged over
  const over = page.locator('#chart-queues .u-over');
  const box = await over.boundingBox();
  await page.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  const dragged = await zoomWindow(page);
  expect(dragged).not.toBeNull();
  expect(dragged[0]).toBeGreaterThan(end * 0.15);
  expect(dragged[1]).toBeLessThan(end * 0.6);
  // the drag did not also mark a time
  await expect(page.locator('#run-tick')).not.toContainText('marked');
  await over.dblclick();
  expect(await zoomWindow(page)).toBeNull();
});

test('the guided run reaches its last question by keyboard alone, and each answer is the engine’s', async ({ page }) => {
  test.setTimeout(RUN_TIMEOUT + 60_000);
  await openLab(page, '?guide#v=1&preset=dfly-2008-06-30&ram=64M&seed=19');
  // as fast as it goes: the run may be past a stop before the question is asked
  await page.selectOption('#speed', '0');
  // `?guide` opens the tour with its Start button focused
  await expect(page.locator('#guide')).toBeVisible();
  await expect(page.locator('#guide-start')).toBeFocused();
  await page.keyboard.press('Enter');

  const answers = [];
  for (let q = 1; q <= 3; q++) {
    await expect(page.locator('#guide-step')).toHaveText(`Question ${q} of 3`, { timeout: RUN_TIMEOUT });
    // the first choice has the focus; the arrow keys pick another, Enter reveals
    await expect(page.locator('#guide-choices input').first()).toBeFocused();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await expect(page.locator('#guide-answer')).toBeVisible();
    answers.push((await page.locator('#guide-answer').textContent()).trim());
    if (q === 1) {
      // the run stands at the moment asked about: the marker is where free + cache fell into the reserve
      const tick = await page.locator('#moments-list button[data-kind="below-reserved"]').first().getAttribute('data-tick');
      await expect(page.locator('#run-tick')).toContainText(`marked ${(Number(tick) / 100).toFixed(2)} s`);
    }
    await expect(page.locator('#guide-next')).toBeFocused();
    if (q < 3) await page.keyboard.press('Enter');
  }
  // the second choice is the right one for the first two questions here
  expect(answers[0]).toMatch(/^Right\. Below v_free_reserved \(\d+ pages\)/);
  expect(answers[0]).toContain('pagedaemon (');
  // it names only the threads that had taken the system reserve by the moment it stops at
  const reserved = Number(await page.locator('#moments-list button[data-kind="below-reserved"]').first().getAttribute('data-tick'));
  for (const m of await page.locator('#moments-list button[data-kind="system-reserve"]').all()) {
    const tick = Number(await m.getAttribute('data-tick'));
    if (tick > reserved) expect(answers[0]).not.toContain(`(${(tick / 100).toFixed(2)} s)`);
  }
  expect(answers[1]).toMatch(/^Right\. .* sleeps until pages are freed/);
  // here the first to sleep on memory is the daemon itself, and the answer says so
  expect(answers[1]).toMatch(/^Right\. pagedaemon sleeps .* itself the thread that frees memory/);
  // the last answer is the engine's own summary of the hang, with the cycle
  const summary = (await page.locator('#outcome-line').textContent()).trim();
  expect(answers[2]).toContain(summary.replace(/^Deadlock at [\d.]+ s: /, ''));
  expect(answers[2]).toMatch(/The cycle: pagedaemon \(VMWait\) → /);
  await screenshot(page, 'guided-run');
  await page.keyboard.press('Enter');
  await expect(page.locator('#guide')).toBeHidden();
  await expect.poll(() => page.evaluate(() => location.search)).toBe('');
});

for (const scheme of ['light', 'dark']) {
  for (const width of [1400, 390]) {
    test(`WCAG 2.2 AA: no axe finding after a deadlock and in the guided run (${scheme}, ${width} px)`, async ({ page }) => {
      test.setTimeout(RUN_TIMEOUT + 60_000);
      await page.setViewportSize({ width, height: width > 900 ? 900 : 844 });
      await page.emulateMedia({ colorScheme: scheme });
      await openLab(page);
      expect(await wcagViolations(page), 'before a run').toEqual([]);
      await runToEnd(page);
      await expect(page.locator('#hang-graph svg')).toBeVisible();
      await page.click('#zoom-crisis');
      expect(await wcagViolations(page), 'after the deadlock, zoomed').toEqual([]);
      await page.click('#guide-open');
      await page.click('#guide-start');
      await expect(page.locator('#guide-step')).toHaveText('Question 1 of 3', { timeout: RUN_TIMEOUT });
      await page.locator('#guide-choices input').first().check();
      await page.click('#guide-reveal');
      await expect(page.locator('#guide-answer')).toBeVisible();
      expect(await wcagViolations(page), 'in the guided run').toEqual([]);
    });
  }
}

test('at 1400×900 the charts and the form share the screen once a run starts', async ({ page }) => {
  await page.setViewportSize({ width: 1400, height: 900 });
  await openLab(page);
  await expect(page.locator('#intro-box')).toHaveAttribute('open', '');
  await page.click('#run');
  await page.click('#run'); // pause at once
  // the story folds away, and the first chart comes up on the first screen
  await expect(page.locator('#intro-box')).not.toHaveAttribute('open', '');
  const inView = async (sel) => {
    const b = await page.locator(sel).boundingBox();
    return b != null && b.y >= 0 && b.y + Math.min(b.height, 150) <= 900;
  };
  expect(await inView('#chart-memory')).toBe(true);
  expect(await inView('#kernel')).toBe(true);
  // scrolled down to the threads at the foot of the page, the form is still beside them
  await page.locator('#threads-title').evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await expect.poll(() => page.evaluate(() => window.scrollY)).toBeGreaterThan(900);
  expect(await inView('#threads-title')).toBe(true);
  expect(await inView('#kernel')).toBe(true);
  await expect(page.locator('#intro')).toContainText('pageout daemon');
});

test('each switch says whether it changes the run on screen, as the command line finds', async ({ page }) => {
  test.setTimeout(RUN_TIMEOUT);
  const base = '#v=1&preset=dfly-2008-06-30&ram=64M&seed=19';
  await openLab(page, base);
  const effect = (key) => page.locator(`#mechanisms li[data-key="${key}"] .effect`);
  await expect(effect('vlocktimo')).not.toHaveAttribute('data-effect', 'pending', { timeout: RUN_TIMEOUT });
  await expect(page.locator('#mechanisms .effect[data-effect="pending"]')).toHaveCount(0, { timeout: RUN_TIMEOUT });
  const cli = (extra) => JSON.parse(pageoutSim('run', '--link', `${base}${extra}`, '--json').stdout);
  const here = cli('');
  // a switch whose other value gives the same trace and outcome says so; one that changes the
  // outcome names both (pageprocwait=on: the same trace, but the daemon's wait retries every
  // tick, so the hang is a stall, not a deadlock)
  const retried = cli('&pageprocwait=on');
  expect(retried.traceHash).toBe(here.traceHash);
  expect([retried.outcome.kind, here.outcome.kind]).toEqual(['stall', 'deadlock']);
  for (const [key, extra] of [
    ['bdexempt', '&bdexempt=on'],
    ['systhread', '&systhread=on'],
    ['usereserve', '&usereserve=on'],
    ['pageprocwait', '&pageprocwait=on'],
  ]) {
    const there = cli(extra);
    if (there.traceHash === here.traceHash && there.outcome.kind === here.outcome.kind) {
      await expect(effect(key)).toHaveAttribute('data-effect', 'none');
      await expect(effect(key)).toContainText('Makes no difference to this run');
    } else {
      await expect(effect(key)).toHaveAttribute('data-effect', 'changes');
      const words = { survived: 'survival', deadlock: 'a deadlock', stall: 'a stall', starved: 'starvation' };
      if (there.outcome.kind !== here.outcome.kind) {
        await expect(effect(key)).toContainText(`${words[there.outcome.kind]}`);
        await expect(effect(key)).toContainText(`instead of ${words[here.outcome.kind]}`);
      } else {
        await expect(effect(key)).toContainText('another run');
      }
    }
  }
  // a part of bio_page_alloc() is tried as the form sets it: with bio_page_alloc() brought in
  await expect(effect('recoverbufpages')).toContainText('on (with bio=fix-0701)');
  // a switch the kernel never read in this run (the command line names them) is not run again:
  // the page says the run never reaches it; one it read was run and compared
  expect(here.consulted).not.toContain('bdexempt');
  await expect(effect('bdexempt')).toHaveAttribute('data-reached', 'false');
  await expect(effect('bdexempt')).toContainText('it never reaches this switch');
  expect(here.consulted).toContain('systhread');
  await expect(effect('systhread')).toHaveAttribute('data-reached', 'true');
});

test('before Run the charts show this run’s first seconds, faded, and after a change the last run', async ({ page }) => {
  test.setTimeout(RUN_TIMEOUT);
  await openLab(page, '#v=1&preset=dfly-2008-06-30&ram=64M&seed=19');
  // a first visit: the first 10 s of the run, computed in the pool, faded
  await expect(page.locator('#ghost-note')).toContainText('the first 10 s of this run');
  await expect(page.locator('#charts')).toHaveClass(/ghost/);
  await expect(page.locator('#charts')).not.toHaveClass(/no-data/);
  await expect(page.locator('body')).toHaveAttribute('data-state', 'idle');
  await expect(page.locator('#run')).toHaveText('Run');
  // the run replaces them with its own samples, unfaded
  const { hash } = await runToEnd(page);
  await expect(page.locator('#charts')).not.toHaveClass(/ghost/);
  await expect(page.locator('#ghost-note')).toBeHidden();
  // another seed: the last run stays, faded, until Run
  await page.fill('#seed', '20');
  await page.locator('#seed').press('Enter');
  await expect(page.locator('#ghost-note')).toContainText('the last run');
  await expect(page.locator('#charts')).toHaveClass(/ghost/);
  await expect(page.locator('#trace-hash')).toHaveText('—');
  const again = await runToEnd(page);
  expect(again.hash).not.toBe(hash);
  await expect(page.locator('#charts')).not.toHaveClass(/ghost/);
});
