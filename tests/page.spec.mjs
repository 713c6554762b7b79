// The page as a user sees it: the lockup under the kernel of the report, survival under the fix
// of July 1 2008, share links that reproduce a run exactly, broken links that explain themselves,
// keyboard control, and an accessible page in both themes and at phone width.
import { test, expect } from '@playwright/test';
import {
  RUN_TIMEOUT,
  chooseKernel,
  collectErrors,
  consoleLines,
  openLab,
  runToEnd,
  screenshot,
  seriousA11yViolations,
} from './helpers.mjs';

const EMERG = 'bio_page_alloc: WARNING emergency page allocation';

let errors = [];
test.beforeEach(async ({ page }) => {
  errors = collectErrors(page);
});
test.afterEach(async () => {
  expect(errors, 'no console errors or uncaught exceptions').toEqual([]);
});

test('the first view explains the lockup and offers Run', async ({ page }) => {
  await openLab(page);
  await expect(page.locator('body')).toHaveAttribute('data-state', 'idle');
  await expect(page.locator('#intro')).toContainText('pageout daemon');
  await expect(page.locator('#intro')).toContainText('VMWait');
  await expect(page.locator('#run')).toHaveText('Run');
  await expect(page.locator('#run')).toBeEnabled();
  await expect(page.locator('#kernel')).toHaveValue('dfly-2008-06-30');
  // one control per mechanism of the fix, each with its explanation
  const mechanisms = page.locator('#mechanisms .mech');
  expect(await mechanisms.count()).toBeGreaterThanOrEqual(8);
  await expect(mechanisms.first().locator('[id$="-explain"]')).not.toBeEmpty();
  // the URL always holds the scenario
  await expect.poll(() => page.evaluate(() => location.hash)).toMatch(/^#v=1&/);
  await screenshot(page, 'first-view');
});

test('pageout daemon deadlocks in VMWait under the 2008-06-30 kernel', async ({ page }) => {
  // the default scenario: seed 19 of the post's load on a 64 MB machine locks up at 120.1 s
  test.setTimeout(RUN_TIMEOUT + 30_000);
  await openLab(page);
  await chooseKernel(page, 'dfly-2008-06-30');

  // While it runs: memory falls, the state says so.
  await page.selectOption('#speed', '30');
  await page.click('#run');
  await expect(page.locator('body')).toHaveAttribute('data-state', 'running');
  await expect.poll(() => page.locator('#time').inputValue().then(Number)).toBeGreaterThan(100);
  await screenshot(page, 'running');

  const { outcome } = await runToEnd(page);
  expect(outcome).toMatch(/^Deadlock at \d+\.\d\d s: /);
  await expect(page.locator('#banner')).toHaveAttribute('data-kind', 'deadlock');

  // The wait-for graph: threads as nodes, the cycle through the pageout daemon highlighted.
  const graph = page.locator('#hang-graph svg.waitgraph');
  await expect(graph).toBeVisible();
  expect(await graph.locator('.node').count()).toBeGreaterThanOrEqual(2);
  expect(await graph.locator('.node.cycle').count()).toBeGreaterThanOrEqual(1);
  expect(await graph.locator('.edge.cycle').count()).toBeGreaterThanOrEqual(1);
  await expect(graph.locator('.node.cycle[data-thread="pagedaemon"]')).toHaveCount(1);
  await expect(graph.locator('.node[data-thread="pagedaemon"] .node-wmesg')).toContainText('VMWait');
  await expect(page.locator('#hang-cycle')).toContainText('pagedaemon (VMWait in allocbuf)');
  await expect(page.locator('#hang-cycle')).toContainText('bufdaemon_hw (vmwait in kmem_slab_alloc)');
  expect(await page.locator('#hang-edges li').count()).toBeGreaterThanOrEqual(1);

  // The threads panel shows the daemon asleep in VMWait, and that it took the system reserve:
  // pages taken "normal · system reserve · interrupt reserve", and its pageouts.
  const pd = page.locator('#threads-body tr', { hasText: 'pagedaemon' });
  await expect(pd).toContainText('VMWait');
  await expect(pd).toContainText('in allocbuf');
  await expect(pd.locator('td.pages')).toHaveClass(/reserve/);
  await expect(pd.locator('td.pages')).toContainText('pageouts');

  // The key moments tell it in order: the flusher of the daemon's buffers asleep on memory in
  // its zone refill, the daemon finding the reserve empty and going to sleep in its own
  // allocbuf, the hang last.
  const moments = page.locator('#moments-list .moment');
  await expect(moments.last()).toHaveAttribute('data-kind', 'hang');
  await expect(page.locator('#moments-list .moment[data-kind="waits-for-memory"]', { hasText: 'bufdaemon_hw' })).toContainText('kmem_slab_alloc');
  await expect(page.locator('#moments-list .moment[data-kind="reserve-empty"]', { hasText: 'pagedaemon' }).first()).toBeVisible();
  await expect(page.locator('#moments-list .moment[data-kind="waits-for-memory"]', { hasText: 'pagedaemon' }).last()).toContainText('allocbuf');
  await page.locator('#moments-list .moment[data-kind="first-pageout"]').click();
  await expect(page.locator('#run-tick')).toContainText('marked 0.27 s');
  // a key moment shows the threads as they were at its own tick, not at the sample before it:
  // the daemon asleep in its zone refill since that very tick
  const asleep = page.locator('#moments-list .moment[data-kind="waits-for-memory"]', { hasText: 'pagedaemon' }).first();
  const at = `${(Number(await asleep.getAttribute('data-tick')) / 100).toFixed(2)} s`;
  await asleep.click();
  await expect(page.locator('#threads-at')).toContainText(`As at ${at}, the moment marked`);
  await expect(pd).toContainText('VMWait');
  await expect(pd).toContainText(at);

  // Before the fix nothing warns: the machine just stops.
  const lines = await consoleLines(page);
  expect(lines.length).toBeGreaterThan(0);
  expect(lines.every((l) => /^\d+\.\d\d s \S/.test(l))).toBe(true);
  expect(lines.some((l) => l.includes(EMERG))).toBe(false);

  expect(await seriousA11yViolations(page), 'with the hang view').toEqual([]);
  await screenshot(page, 'deadlock');
});

test('the 2008-07-01 fix does not lock up and the console warns', async ({ page }) => {
  test.setTimeout(RUN_TIMEOUT + 30_000);
  // the fix on a 48 MB machine: the emergency path is taken; the mapped-file writer starves in
  // pfault near the end, but nothing deadlocks
  await openLab(page, '#v=1&preset=dfly-2008-07-01&ram=48M');
  await expect(page.locator('#mech-recoverbufpages')).toBeChecked();

  const { outcome } = await runToEnd(page);
  expect(outcome).toMatch(/^(Survived|Starved)/);
  await expect(page.locator('#banner')).toHaveAttribute('data-kind', /^(survived|starved)$/);

  const lines = await consoleLines(page);
  expect(lines.some((l) => l.includes(EMERG))).toBe(true);
  await expect(page.locator('#console-lines .con-line.warn').first()).toBeVisible();

  // Clicking a console line marks its time on the charts.
  await page.locator('#console-lines .con-line.warn').first().click();
  await expect(page.locator('#run-tick')).toContainText('marked');

  await screenshot(page, 'survived-fix');
});

test('switching on recoverbufpages under 2008-06-30 brings bio_page_alloc in, never an error', async ({ page }) => {
  test.setTimeout(RUN_TIMEOUT + 30_000);
  await openLab(page);
  await expect(page.locator('#mech-bio')).toHaveValue('pre-0630');
  await page.locator('#mech-recoverbufpages').check();
  // the form takes bio_page_alloc() with it and says so; the run is loaded, not an error
  await expect(page.locator('#mech-bio')).toHaveValue('fix-0701');
  await expect(page.locator('#mech-note')).toContainText('part of bio_page_alloc()');
  await expect(page.locator('body')).toHaveAttribute('data-state', 'idle');
  await expect(page.locator('#run')).toBeEnabled();
  await expect.poll(() => page.evaluate(() => location.hash)).toContain('bio=fix-0701');
  await expect.poll(() => page.evaluate(() => location.hash)).toContain('recoverbufpages=on');
  // taking bio_page_alloc() out takes its parts with it
  await page.selectOption('#mech-bio', 'pre-0630');
  await expect(page.locator('#mech-recoverbufpages')).not.toBeChecked();
  await expect(page.locator('#mech-note')).toContainText('switched off with it');
  await expect(page.locator('#run')).toBeEnabled();
});

test('the console prints every line and /var/log/messages folds the repeats', async ({ page }) => {
  test.setTimeout(RUN_TIMEOUT + 30_000);
  // The fix without recoverbufpages on 40 MB, watched for ten minutes: the writers' emergency
  // allocations keep failing, and they retry every 5 s.
  await openLab(page, '#v=1&preset=dfly-2008-07-01&ram=40M&seed=9&window=600s&recoverbufpages=off');
  await runToEnd(page);
  const consoleView = page.getByRole('radio', { name: 'console', exact: true });
  const messagesView = page.getByRole('radio', { name: '/var/log/messages', exact: true });
  const fold = /^last message repeated \d+ times$/;

  // The console (shown first) has every failure, none folded; times are in the gutter.
  await expect(consoleView).toBeChecked();
  await expect(page.locator('#console-lines')).toBeVisible();
  const raw = await page.locator('#console-lines .msg').allTextContents();
  expect(raw.filter((t) => t === `${EMERG} failed`).length).toBeGreaterThan(20);
  expect(raw.some((t) => fold.test(t))).toBe(false);
  expect(raw.every((t) => !/^\[|^\d+\.\d/.test(t))).toBe(true);
  const times = await page.locator('#console-lines .ts').allTextContents();
  expect(times.every((t) => /^\d+\.\d\d s $/.test(t))).toBe(true);

  // /var/log/messages: syslogd's count of the repeats, a line the console never printed.
  await messagesView.check();
  await expect(page.locator('#messages-lines')).toBeVisible();
  await expect(page.locator('#console-lines')).toBeHidden();
  await expect(page.locator('#console')).toHaveAttribute('aria-label', /\/var\/log\/messages/);
  const folded = page.locator('#messages-lines .con-line.fold');
  await expect(folded.first()).toBeVisible();
  await expect(folded.first().locator('.msg')).toHaveText(fold);
  const messages = await page.locator('#messages-lines .msg').allTextContents();
  expect(messages.length).toBeLessThan(raw.length / 5);

  // Its line moves the time marker to when syslogd wrote it.
  const at = (await folded.first().locator('.ts').textContent()).trim();
  await folded.first().click();
  await expect(page.locator('#run-tick')).toContainText(`marked ${at}`);
  expect(await seriousA11yViolations(page), '/var/log/messages shown').toEqual([]);
  await screenshot(page, 'var-log-messages');

  // The arrow keys switch back, as in any radio group.
  await messagesView.focus();
  await page.keyboard.press('ArrowLeft');
  await expect(consoleView).toBeChecked();
  await expect(page.locator('#console-lines')).toBeVisible();
  await expect(page.locator('#messages-lines')).toBeHidden();
});

test('a shared link reopens the same scenario and reproduces the same run', async ({ page, context, browser }) => {
  test.setTimeout(RUN_TIMEOUT + 60_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await openLab(page);
  await chooseKernel(page, 'dfly-2008-07-01');

  // A few knobs: one mechanism of the fix off, a smaller machine, another seed, a short run.
  await page.locator('#mech-recoverbufpages').uncheck();
  await expect(page.locator('.mech[data-key="recoverbufpages"]')).toHaveClass(/overridden/);
  await page.fill('#knob-ram', '96');
  await page.press('#knob-ram', 'Enter');
  await page.fill('#knob-until', '30');
  await page.press('#knob-until', 'Enter');
  await page.fill('#seed', '4242');
  await page.press('#seed', 'Enter');
  await expect(page.locator('#knob-ram')).toHaveValue('96');
  await expect(page.locator('#seed')).toHaveValue('4242');

  await page.click('#share');
  await expect(page.locator('#share-status')).toHaveText('Link copied');
  let link = await page.evaluate(() => navigator.clipboard.readText().catch(() => ''));
  if (!link) link = page.url();
  expect(link).toContain('#v=1&');
  expect(link).toBe(page.url());

  const first = await runToEnd(page);

  const other = await browser.newContext();
  const fresh = await other.newPage();
  const freshErrors = collectErrors(fresh);
  await fresh.goto(link);
  await expect(fresh.locator('#engine-version')).toHaveText(/^\d+\.\d+\.\d+/);
  await expect(fresh.locator('body')).toHaveAttribute('data-state', 'idle');
  await expect(fresh.locator('#link-error')).toBeHidden();
  await expect(fresh.locator('#kernel')).toHaveValue('dfly-2008-07-01');
  await expect(fresh.locator('#mech-recoverbufpages')).not.toBeChecked();
  await expect(fresh.locator('#knob-ram')).toHaveValue('96');
  await expect(fresh.locator('#knob-until')).toHaveValue('30');
  await expect(fresh.locator('#seed')).toHaveValue('4242');
  const second = await runToEnd(fresh);
  expect(second).toEqual(first);
  expect(freshErrors).toEqual([]);
  await other.close();
});

test('a broken link shows what is wrong and offers the nearest valid scenario', async ({ page }) => {
  await openLab(page, '#v=1&ram=9999M&bogus=1&seed=7');
  const panel = page.locator('#link-error');
  await expect(panel).toBeVisible();
  await expect(page.locator('#link-error-list')).toContainText('ram');
  await expect(page.locator('#link-error-list')).toContainText('bogus');
  // the lab is there behind it, never a blank page
  await expect(page.locator('#run')).toBeVisible();
  // the broken link stays in the address bar until the user decides
  expect(page.url()).toContain('bogus=1');
  await screenshot(page, 'error-panel');

  await page.click('#link-error-nearest');
  await expect(panel).toBeHidden();
  await expect(page.locator('#seed')).toHaveValue('7');
  await expect.poll(() => page.evaluate(() => location.hash)).not.toContain('bogus');
});

test('a link of a megabyte is refused at once with one line; a long list is cut at 20', async ({ page }) => {
  await openLab(page);
  // Pasted into the address bar: it rendered 524,288 rows after 63 s, in a 3.5 s task.
  const huge = `#v=1&${'=&'.repeat(1 << 19)}`;
  const seen = await page.evaluate(async (hash) => {
    const longest = { ms: 0 };
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longest.ms = Math.max(longest.ms, e.duration);
    });
    observer.observe({ type: 'longtask' });
    const list = document.getElementById('link-error-list');
    // from the page's hashchange (the browser's own setting of the URL comes before it)
    let t0 = 0;
    window.addEventListener('hashchange', () => (t0 = performance.now()), { once: true });
    const shown = new Promise((resolve) => {
      new MutationObserver((_, mo) => {
        mo.disconnect();
        resolve(performance.now() - t0);
      }).observe(list, { childList: true });
    });
    location.hash = hash;
    const ms = await shown;
    await new Promise((r) => setTimeout(r, 100));
    observer.disconnect();
    return { ms, longestTask: longest.ms };
  }, huge);
  console.log(`1 MiB link: error list shown ${seen.ms.toFixed(1)} ms after hashchange; ` +
    `longest main-thread task over 50 ms: ${seen.longestTask.toFixed(0)} ms`);
  const items = page.locator('#link-error-list li');
  await expect(items).toHaveCount(1);
  await expect(items).toContainText(`got “${huge.length - 1} bytes”`);
  await expect(items).toContainText('at most 65536 bytes');
  expect(seen.longestTask).toBeLessThan(1000);

  // Thousands of problems: the first 20, then how many more.
  await page.evaluate((hash) => {
    location.hash = hash;
  }, `#v=1&${'=&'.repeat(1000)}`);
  await expect(items).toHaveCount(21);
  await expect(items.last()).toContainText('and 980 more problems: only the first 20 are listed');
});

test('the engine refuses arguments of the wrong type with an Error, not a trap', async ({ page }) => {
  await openLab(page);
  const [worker] = page.workers();
  const thrown = await worker.evaluate(async () => {
    const glue = await import(new URL('./pkg/pageout_web.js', self.location.href).href);
    const out = [];
    for (const v of [123, {}, 10n, undefined]) {
      try {
        glue.decodeLink(v);
        out.push('returned');
      } catch (e) {
        out.push(`${e.constructor.name}: ${e.message}`);
      }
    }
    out.push(glue.decodeLink('#v=1&seed=3').ok);
    return out;
  });
  expect(thrown).toEqual([
    'Error: fragment: got a number (123), allowed a string',
    'Error: fragment: got an object, allowed a string',
    'Error: fragment: got a bigint (10), allowed a string',
    'Error: fragment: got undefined, allowed a string',
    true,
  ]);
});

test('a trap in the engine is reported, and the scenario reloads on a fresh engine', async ({ page }) => {
  test.setTimeout(RUN_TIMEOUT + 30_000);
  await openLab(page, '#v=1&preset=dfly-2008-06-30&ram=64M&seed=19&until=20s');
  const before = await runToEnd(page);

  // A run under way, then the trap (the test-only hook of protocol.js: an out-of-memory abort).
  await page.click('#reset');
  await expect(page.locator('body')).toHaveAttribute('data-state', 'idle');
  await page.click('#step');
  await expect(page.locator('body')).toHaveAttribute('data-state', 'paused');
  const [worker] = page.workers();
  await worker.evaluate(() => {
    self.dispatchEvent(new MessageEvent('message', { data: { type: 'debug-trap' } }));
  });

  const fatal = page.locator('#fatal');
  await expect(fatal).toBeVisible();
  await expect(fatal).toContainText('The simulator hit an internal error');
  await expect(fatal).toContainText('RuntimeError: unreachable');
  await expect(fatal).toContainText('reload the scenario');
  await expect(page.locator('#fatal-reload')).toBeFocused();
  await expect(page.locator('#run')).toBeDisabled();
  expect(await seriousA11yViolations(page), 'with the trap panel').toEqual([]);
  await screenshot(page, 'trapped');

  // The fresh engine runs the same scenario to the same end.
  await page.click('#fatal-reload');
  await expect(fatal).toBeHidden();
  await expect(page.locator('body')).toHaveAttribute('data-state', 'idle');
  await expect(page.locator('#run')).toBeEnabled();
  expect(await runToEnd(page)).toEqual(before);
});

test('Share copies the scenario on screen, also while a broken link is shown', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await openLab(page, '#v=1&ram=banana&seed=7');
  await expect(page.locator('#link-error')).toBeVisible();
  await page.click('#share');
  await expect(page.locator('#share-status')).toHaveText(/Link copied|Copy the link below/);
  let link = await page.evaluate(() => navigator.clipboard.readText().catch(() => ''));
  if (!link) link = await page.locator('#share-fallback').inputValue();
  // the default scenario that runs behind the panel, not the broken link
  expect(link).toContain('#v=1&preset=dfly-2008-06-30&ram=64M&seed=19');
  expect(link).not.toContain('banana');
});

test('a field with a value out of range says why and blocks Run until it is fixed', async ({ page }) => {
  await openLab(page);
  await page.fill('#knob-ram', '5000');
  await page.press('#knob-ram', 'Enter');
  await expect(page.locator('#knob-ram')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#knob-ram-hint')).toContainText('must be a number from 32 to 4096');
  await expect(page.locator('#run')).toBeDisabled();
  await page.fill('#knob-ram', '96');
  await page.press('#knob-ram', 'Enter');
  await expect(page.locator('#knob-ram')).toHaveAttribute('aria-invalid', 'false');
  await expect(page.locator('#run')).toBeEnabled();
  await expect.poll(() => page.evaluate(() => location.hash)).toContain('ram=96M');
});

test('an outdated link version is reported, not guessed', async ({ page }) => {
  await openLab(page, '#v=99&seed=3');
  await expect(page.locator('#link-error')).toBeVisible();
  await expect(page.locator('#link-error-list')).toContainText('v=99 comes from a newer version of Pageout Lab');
  await page.click('#link-error-default');
  await expect(page.locator('#link-error')).toBeHidden();
  await expect(page.locator('body')).toHaveAttribute('data-state', 'idle');
});

test('markup in a link is shown as text and never runs', async ({ page }) => {
  const payload = encodeURIComponent('<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">');
  await openLab(page, `#v=1&seed=${payload}&preset=${payload}&${payload}=1`);
  await expect(page.locator('#link-error')).toBeVisible();
  await expect(page.locator('#link-error-list')).toContainText('<script>');
  expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
  expect(await page.locator('script').count()).toBe(1); // main.js only
  expect(await page.locator('#link-error img, #link-error script').count()).toBe(0);
});

test('keyboard: space runs and pauses, "." steps, "?" opens the shortcuts', async ({ page }) => {
  await openLab(page);
  await page.locator('body').click({ position: { x: 5, y: 5 } });

  await page.keyboard.press('?');
  await expect(page.locator('#help')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.locator('#help')).toBeHidden();

  await page.keyboard.press('.');
  await expect(page.locator('#time')).toHaveValue('10');
  await expect(page.locator('body')).toHaveAttribute('data-state', 'paused');

  await page.keyboard.press(' ');
  await expect(page.locator('body')).toHaveAttribute('data-state', 'running');
  await page.keyboard.press(' ');
  await expect(page.locator('body')).toHaveAttribute('data-state', 'paused');
});

test('seeking back in a finished run keeps its outcome, graph and hash and shows that moment', async ({ page }) => {
  test.setTimeout(RUN_TIMEOUT + 30_000);
  await openLab(page);
  await page.selectOption('#speed', '0');
  await page.click('#run');
  await expect(page.locator('#banner')).toHaveAttribute('data-kind', 'deadlock', { timeout: RUN_TIMEOUT });
  const hash = await page.locator('#trace-hash').textContent();
  // the slider ends where the run ended (detected at 130.1 s), not at the scenario's 300 s
  await expect(page.locator('#time')).toHaveAttribute('max', '13010');
  const seek = async (tick) => {
    await page.locator('#time').evaluate((el, t) => {
      el.value = String(t);
      el.dispatchEvent(new Event('change', { bubbles: true }));
    }, tick);
  };
  await seek(800);
  await expect(page.locator('#time-out')).toHaveText('8.00 s');
  await expect(page.locator('#run-tick')).toContainText('marked 8.00 s');
  // the diagnosis stays
  await expect(page.locator('#banner')).toHaveAttribute('data-kind', 'deadlock');
  await expect(page.locator('#outcome-line')).toContainText('Deadlock at 120.10 s');
  await expect(page.locator('#hang-graph svg.waitgraph')).toBeVisible();
  await expect(page.locator('#trace-hash')).toHaveText(hash);
  await expect(page.locator('body')).toHaveAttribute('data-state', 'finished');
  // the threads as they were at 8 s: the daemon not yet asleep on memory
  await expect(page.locator('#threads-at')).toContainText('As at 8.00 s');
  await expect(page.locator('#threads-body tr', { hasText: 'pagedaemon' })).not.toContainText('VMWait');
  // and back at the end, the daemon in VMWait again
  await seek(12010);
  await expect(page.locator('#threads-body tr', { hasText: 'pagedaemon' })).toContainText('VMWait');
  await expect(page.locator('#trace-hash')).toHaveText(hash);
});

test('a link with t= opens at that moment of the run, and a looked-at moment goes into the link', async ({ page }) => {
  test.setTimeout(RUN_TIMEOUT + 30_000);
  await openLab(page, '#v=1&preset=dfly-2008-06-30&ram=64M&seed=19&t=120100ms');
  await expect(page.locator('#banner')).toHaveAttribute('data-kind', 'deadlock', { timeout: RUN_TIMEOUT });
  await expect(page.locator('#run-tick')).toContainText('marked 120.10 s');
  await expect(page.locator('#threads-at')).toContainText('As at 120.10 s');
  await expect(page.locator('#time-out')).toHaveText('120.10 s');
  await expect.poll(() => page.evaluate(() => location.hash)).toContain('&t=120100ms');
  // looking at another moment moves t= with it
  await page.locator('#time').evaluate((el) => {
    el.value = '800';
    el.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await expect.poll(() => page.evaluate(() => location.hash)).toContain('&t=8000ms');
});

test('a moment between two records shows the earlier record and says so', async ({ page }) => {
  test.setTimeout(RUN_TIMEOUT + 30_000);
  // the run records the threads every 0.1 s and at each key moment; none from 8.01 to 8.05 s
  await openLab(page, '#v=1&preset=dfly-2008-06-30&ram=64M&seed=19&t=8050ms');
  await expect(page.locator('#banner')).toHaveAttribute('data-kind', 'deadlock', { timeout: RUN_TIMEOUT });
  await expect(page.locator('#threads-at')).toContainText(
    "As at 8.00 s, the run's last record before the moment marked on the charts (8.05 s)",
  );
});

test('identical waiters collapse and no two nodes of the wait-for graph overlap', async ({ page }) => {
  test.setTimeout(RUN_TIMEOUT + 30_000);
  // eight writers and four mapped-file writers asleep at the hang
  await openLab(page, '#v=1&preset=dfly-2008-06-30&ram=64M&mmap=4&writers=8&seed=4');
  await page.selectOption('#speed', '0');
  await page.click('#run');
  await expect(page.locator('#banner')).toHaveAttribute('data-kind', 'deadlock', { timeout: RUN_TIMEOUT });
  const overlaps = async () =>
    page.locator('#hang-graph svg.waitgraph .node rect').evaluateAll((rects) => {
      const boxes = rects.map((r) => r.getBoundingClientRect());
      let n = 0;
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i];
          const b = boxes[j];
          if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) n++;
        }
      }
      return n;
    });
  const nodes = page.locator('#hang-graph svg.waitgraph .node');
  expect(await nodes.count()).toBeLessThanOrEqual(8);
  await expect(nodes.filter({ hasText: /writer\d+–\d+ \(\d+\)/ }).first()).toBeVisible();
  await expect(page.locator('#hang-graph svg.waitgraph title').first()).toContainText('sleeping threads');
  expect(await overlaps()).toBe(0);
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(nodes.first()).toBeVisible();
  expect(await overlaps()).toBe(0);
});

test('the time slider runs forward and looks back without running again', async ({ page }) => {
  await openLab(page);
  await page.selectOption('#speed', '0');
  // Seek forward to 5 s: the engine runs there.
  await page.locator('#time').fill('500');
  await expect(page.locator('#time')).toHaveValue('500');
  await expect(page.locator('#run-tick')).toContainText('t = 5.00 s');
  // Back to 2 s: a lookup into what the run recorded; the run stays at 5 s.
  await page.locator('#time').fill('200');
  await expect(page.locator('#run-tick')).toHaveText('t = 5.00 s · marked 2.00 s');
  await expect(page.locator('#threads-at')).toContainText('As at 2.00 s');
  await expect(page.locator('body')).toHaveAttribute('data-state', 'paused');
  // Forward again past 5 s runs on from where the run is.
  await page.locator('#time').fill('700');
  await expect(page.locator('#run-tick')).toContainText('t = 7.00 s');
  await expect(page.locator('#threads-at')).toBeHidden();
});

test('no serious accessibility findings, light and dark', async ({ page }) => {
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    await openLab(page);
    expect(await seriousA11yViolations(page), `${scheme} theme`).toEqual([]);
  }
  // and with the wait-for graph and a full console on screen
  await openLab(page);
  await page.click('#step');
  await expect(page.locator('body')).toHaveAttribute('data-state', 'paused');
  expect(await seriousA11yViolations(page), 'after a step').toEqual([]);
});

test('the theme toggle cycles auto, light and dark and the charts follow', async ({ page }) => {
  await openLab(page);
  await page.click('#step');
  await expect(page.locator('#theme-toggle')).toHaveText('Theme: auto');
  // its accessible name starts with what it shows
  await expect(page.locator('#theme-toggle')).toHaveAccessibleName(/^Theme: auto/);
  await page.click('#theme-toggle');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await page.click('#theme-toggle');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(page.locator('#charts .uplot')).toHaveCount(4);
  expect(await seriousA11yViolations(page), 'dark theme by choice').toEqual([]);
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.click('#theme-toggle');
  await expect(page.locator('html')).not.toHaveAttribute('data-theme', /./);
});

test('works at phone width', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await openLab(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expect(page.locator('#run')).toBeInViewport();
  await screenshot(page, 'mobile-390');
});
