// Taking a run out of the lab: every export downloads with the engine's data (checked against
// the samples the worker sent the page, the console on screen, the hash in the banner), the
// report and the embed snippet carry the run's self-checking link, a link with the wrong hash
// says exactly what differs, and the embed view fits 640×360 without the page scrolling.
import { readFileSync } from 'node:fs';
import { test, expect } from '@playwright/test';
import { ARTIFACTS, RUN_TIMEOUT, collectErrors, openLab, runToEnd, wcagViolations } from './helpers.mjs';

const LOCKUP = '#v=1&preset=dfly-2008-06-30&ram=64M&seed=19';
const SHORT = '#v=1&preset=dfly-2008-07-01&ram=64M&seed=19&until=20s';
const STEM = 'pageout-dfly-2008-06-30-64M-seed19';
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];

let errors = [];
test.beforeEach(async ({ page }) => {
  errors = collectErrors(page);
  // Keep what the worker sends the page: the sample rows as they arrive, independent of the
  // exports, which the engine writes on request.
  await page.addInitScript(() => {
    const seen = { rows: 0, last: null };
    window.__samples = seen;
    const Real = window.Worker;
    window.Worker = class extends Real {
      constructor(...args) {
        super(...args);
        this.addEventListener('message', (e) => {
          const m = e.data;
          if (!m || m.type !== 'frame') return;
          if (m.reset) {
            seen.rows = 0;
            seen.last = null;
          }
          const s = m.samples;
          if (!s || !s.rows) return;
          seen.rows = s.start + s.rows;
          const c = s.columns;
          const r = s.rows - 1;
          seen.last = { tick: c.tick[r], free: c.free[r], cache: c.cache[r], userKb: c.userKb[r] };
        });
      }
    };
  });
});
test.afterEach(async () => {
  expect(errors, 'no console errors or uncaught exceptions').toEqual([]);
});

/** Clicks a button that saves a file; returns its name and bytes. */
async function save(page, locator) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator(locator).click()]);
  return { name: dl.suggestedFilename(), bytes: readFileSync(await dl.path()) };
}

test('every export downloads, named after the scenario, with what the engine and the page have', async ({ page, context }) => {
  test.setTimeout(RUN_TIMEOUT + 60_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await openLab(page, LOCKUP);
  const { hash } = await runToEnd(page);
  await expect(page.locator('#banner')).toHaveAttribute('data-kind', 'deadlock');
  const sent = await page.evaluate(() => window.__samples);
  expect(sent.rows).toBeGreaterThan(1000);

  await page.click('#export-open');
  await expect(page.locator('#export')).toBeVisible();

  // the samples as CSV: a header named as the charts' legends, with units; one row per sample
  const csv = await save(page, '[data-export="samples-csv"]');
  expect(csv.name).toBe(`${STEM}-samples.csv`);
  const lines = csv.bytes.toString('utf8').trimEnd().split('\n');
  expect(lines.length - 1).toBe(sent.rows);
  const header = lines[0].split(',');
  expect(header.slice(0, 3)).toEqual(['time (s)', 'free + cache (pages)', 'free (pages)']);
  for (const chart of ['chart-queues', 'chart-alloc']) {
    const labels = await page.locator(`#${chart} .u-legend .u-series .u-label`).allTextContents();
    for (const label of labels.filter((l) => l !== 'time')) {
      expect(header.some((h) => h.startsWith(`${label} (`)), `${label} in ${header}`).toBe(true);
    }
  }
  const last = Object.fromEntries(header.map((h, i) => [h, lines[lines.length - 1].split(',')[i]]));
  expect(last['time (s)']).toBe((sent.last.tick / 100).toFixed(2));
  expect(Number(last['free (pages)'])).toBe(sent.last.free);
  expect(Number(last['free + cache (pages)'])).toBe(sent.last.free + sent.last.cache);
  expect(Number(last['user data written (KiB)'])).toBe(sent.last.userKb);

  const json = await save(page, '[data-export="samples-json"]');
  expect(json.name).toBe(`${STEM}-samples.json`);
  const samples = JSON.parse(json.bytes.toString('utf8'));
  expect(samples.rows).toBe(sent.rows);
  expect(samples.columns.map((c) => c.header)).toEqual(header);
  expect(samples.columns[2].values.at(-1)).toBe(sent.last.free);

  // the console, every line as on screen, and /var/log/messages
  const consoleFile = await save(page, '[data-export="console"]');
  expect(consoleFile.name).toBe(`${STEM}-console.txt`);
  const printed = consoleFile.bytes.toString('utf8').trimEnd().split('\n');
  const onScreen = await page.locator('#console-lines li').allTextContents();
  expect(printed.length).toBe(onScreen.length);
  expect(printed.every((l) => /^\[\s*\d+\.\d{6}\] \S/.test(l))).toBe(true);
  const messages = await save(page, '[data-export="messages"]');
  expect(messages.name).toBe(`${STEM}-messages.txt`);
  expect(messages.bytes.toString('utf8').trimEnd().split('\n').length).toBe(await page.locator('#messages-lines li').count());

  // the threads and the outcome with its graph
  const threads = JSON.parse((await save(page, '[data-export="threads"]')).bytes.toString('utf8'));
  expect(threads.threads.length).toBe(await page.locator('#threads-body tr').count());
  const outcomeFile = await save(page, '[data-export="outcome"]');
  expect(outcomeFile.name).toBe(`${STEM}-outcome.json`);
  const outcome = JSON.parse(outcomeFile.bytes.toString('utf8'));
  expect(outcome.traceHash).toBe(hash);
  expect(outcome.outcome.kind).toBe('deadlock');
  expect(outcome.outcome.graph.cycle.length).toBeGreaterThanOrEqual(2);
  expect(outcome.fingerprint).toBe(`ev=${await page.locator('#engine-version').textContent()}&eo=deadlock@120100ms&eh=${hash}`);
  expect(outcome.cycle).toContain('pagedaemon');

  // the report: the hash and the self-checking link of the page's run
  const report = await save(page, '[data-export="report"]');
  expect(report.name).toBe(`${STEM}-report.md`);
  const md = report.bytes.toString('utf8');
  expect(md).toMatch(/^# Pageout Lab: deadlock at 120\.10 s\n/);
  expect(md).toContain(`trace hash \`${hash}\``);
  expect(md).toContain(`${LOCKUP}&${outcome.fingerprint}`);
  expect(md).toContain(`The cycle: ${outcome.cycle}.`);
  await page.click('#report-copy');
  await expect(page.locator('#export-status')).toHaveText(/Report copied|Copy the report below/);
  let copied = await page.evaluate(() => navigator.clipboard.readText().catch(() => ''));
  if (!copied) copied = await page.locator('#report-fallback').inputValue();
  expect(copied).toBe(md);

  // each chart as PNG and SVG, the wait-for graph too
  const png = await save(page, '[data-chart="chart-memory"]:text("PNG")');
  expect(png.name).toBe(`${STEM}-chart-memory.png`);
  expect([...png.bytes.subarray(0, 4)]).toEqual(PNG_SIGNATURE);
  const svg = await save(page, '[data-chart="chart-memory"]:text("SVG")');
  expect(svg.name).toBe(`${STEM}-chart-memory.svg`);
  const svgText = svg.bytes.toString('utf8');
  expect(svgText).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  expect(svgText).toContain('<title>free + cache</title>');
  expect((svgText.match(/<path /g) || []).length).toBe(6);
  expect(await page.locator('[data-chart]').count()).toBe(8);
  const graph = await save(page, '[data-graph="svg"]');
  expect(graph.name).toBe(`${STEM}-waitfor.svg`);
  expect(graph.bytes.toString('utf8')).toContain('pagedaemon');
  const graphPng = await save(page, '[data-graph="png"]');
  expect([...graphPng.bytes.subarray(0, 4)]).toEqual(PNG_SIGNATURE);

  // the embed snippet: an iframe of this run's self-checking link at ?embed
  const snippet = await page.locator('#embed-snippet').inputValue();
  expect(snippet).toMatch(/^<iframe src="http:\/\/127\.0\.0\.1:\d+\/\?embed#v=1&amp;preset=dfly-2008-06-30/);
  expect(snippet).toContain(`&amp;eh=${hash}"`);
  expect(snippet).toContain('width="640" height="360"');
  // the open panel, with the report's text area shown, passes the WCAG 2.2 AA rules
  await page.locator('#report-fallback').evaluate((t) => {
    t.hidden = false;
  });
  expect(await wcagViolations(page)).toEqual([]);
});

test('Share gives a link that checks itself: it reproduces, and a wrong hash is named', async ({ page, context, browser }) => {
  test.setTimeout(RUN_TIMEOUT + 60_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await openLab(page, SHORT);
  const first = await runToEnd(page);
  await page.click('#share');
  let link = await page.evaluate(() => navigator.clipboard.readText().catch(() => ''));
  if (!link) link = await page.locator('#share-fallback').inputValue();
  const version = await page.locator('#engine-version').textContent();
  expect(link).toContain(`${SHORT}&ev=${version}&eo=survived@20s&eh=${first.hash}`);
  // Share offers the embed snippet of the same link
  await page.click('#share-embed');
  await expect(page.locator('#embed-snippet')).toBeFocused();
  const snippet = await page.locator('#embed-snippet').inputValue();
  expect(snippet).toContain(`?embed${SHORT.replace(/&/g, '&amp;')}&amp;ev=${version}&amp;eo=survived@20s&amp;eh=${first.hash}"`);

  const other = await browser.newContext();
  const fresh = await other.newPage();
  const freshErrors = collectErrors(fresh);
  // as shared: the run goes to its end by itself and says it reproduced
  await fresh.goto(link);
  await expect(fresh.locator('#verify-line')).toHaveAttribute('data-verdict', 'reproduced', { timeout: RUN_TIMEOUT });
  await expect(fresh.locator('#verify-line')).toHaveText(`Reproduced: survived at 20.00 s, trace hash ${first.hash}, on engine ${version}, as the link says.`);
  await expect(fresh.locator('#trace-hash')).toHaveAttribute('data-trace-hash', first.hash);
  // the address bar keeps the fingerprint
  await expect.poll(() => fresh.evaluate(() => location.hash)).toContain(`&eh=${first.hash}`);

  // another hash: the mismatch is named, with both hashes
  const wrong = link.replace(`eh=${first.hash}`, 'eh=0123456789abcdef');
  await fresh.goto('about:blank');
  await fresh.goto(wrong);
  await expect(fresh.locator('#verify-line')).toHaveAttribute('data-verdict', 'differs', { timeout: RUN_TIMEOUT });
  await expect(fresh.locator('#verify-line')).toHaveText(
    `Not reproduced: the trace hash is ${first.hash}, where the link says 0123456789abcdef.`,
  );
  // another outcome and another engine version, each named
  const older = link.replace(`ev=${version}`, 'ev=0.0.1').replace('eo=survived@20s', 'eo=deadlock@10s');
  await fresh.goto('about:blank');
  await fresh.goto(older);
  await expect(fresh.locator('#verify-line')).toHaveAttribute('data-verdict', 'differs', { timeout: RUN_TIMEOUT });
  await expect(fresh.locator('#verify-line')).toContainText(`the link was made by engine 0.0.1; this is engine ${version}`);
  await expect(fresh.locator('#verify-line')).toContainText('the outcome is survived at 20.00 s, where the link says deadlock at 10.00 s');
  expect(freshErrors).toEqual([]);
  await other.close();
});

test('an old link without a fingerprint opens as before: nothing runs, nothing is checked', async ({ page }) => {
  await openLab(page, SHORT);
  await expect(page.locator('body')).toHaveAttribute('data-state', 'idle');
  await expect(page.locator('#verify-line')).toBeHidden();
  await expect.poll(() => page.evaluate(() => location.hash)).toBe(SHORT);
  // a fingerprint with a key missing is named, as a link problem
  await page.goto(`/${SHORT}&ev=0.1.0&eh=0123456789abcdef`);
  await expect(page.locator('#verify-line')).toHaveAttribute('data-verdict', 'differs', { timeout: RUN_TIMEOUT });
  await expect(page.locator('#verify-line')).toContainText('eo is missing');
});

test('the embed view fits 640×360: charts, console and a play/seek bar, no form, no page scroll', async ({ page }) => {
  test.setTimeout(RUN_TIMEOUT + 30_000);
  await page.setViewportSize({ width: 640, height: 360 });
  await page.goto(`/?embed${SHORT}`);
  await expect(page.locator('#engine-version')).toHaveText(/^\d+\.\d+\.\d+/, { useInnerText: false });
  await expect(page.locator('body')).toHaveAttribute('data-state', 'idle');
  for (const shown of ['#run', '#time', '#charts', '#console', '#outcome-line', '#embed-open']) {
    await expect(page.locator(shown), shown).toBeVisible();
  }
  for (const hidden of ['#controls', '.top', '#intro-box', '#share', '#export-open', '.layout .threads-panel', '#compare', '#grid', '#intervene', '.foot']) {
    await expect(page.locator(hidden), hidden).toBeHidden();
  }
  const overflow = () =>
    page.evaluate(() => {
      const d = document.documentElement;
      return { x: d.scrollWidth - d.clientWidth, y: d.scrollHeight - d.clientHeight };
    });
  expect(await overflow()).toEqual({ x: 0, y: 0 });
  await page.click('#run');
  await expect(page.locator('body')).toHaveAttribute('data-state', 'finished', { timeout: RUN_TIMEOUT });
  await expect(page.locator('#banner')).toHaveAttribute('data-kind', /survived|deadlock|stall|starved|out-of-memory/);
  expect(await overflow()).toEqual({ x: 0, y: 0 });
  // the way out opens the same run in the whole lab
  const href = await page.locator('#embed-open').evaluate((a) => {
    a.addEventListener('click', (e) => e.preventDefault());
    a.click();
    return a.getAttribute('href');
  });
  expect(href).toMatch(/^\/#v=1&preset=dfly-2008-07-01&ram=64M&seed=19&until=20s/);
  expect(await wcagViolations(page)).toEqual([]);
  await page.screenshot({ path: `${ARTIFACTS}embed-640x360.png` });
});
