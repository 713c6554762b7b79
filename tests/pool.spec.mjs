// The worker pool (www/pool.js) that every many-run feature of the page shares: its jobs are the
// runs the page would run, a cancelled batch stops without taking another batch with it, and a
// bad job fails alone.
import { test, expect } from '@playwright/test';
import { collectErrors, openLab, runToEnd } from './helpers.mjs';

let errors = [];
test.beforeEach(async ({ page }) => {
  errors = collectErrors(page);
});
test.afterEach(async () => {
  expect(errors, 'no console errors or uncaught exceptions').toEqual([]);
});

test('a pool job runs a link to the outcome and hash of the page\'s own run', async ({ page }) => {
  await openLab(page, '#v=1&preset=dfly-2008-06-30&ram=64M&seed=19');
  const { hash } = await runToEnd(page);
  const job = await page.evaluate(async () => {
    const { pool, runLinkJob } = await import('./pool.js');
    const { type, fields } = runLinkJob(location.hash);
    return pool().request(type, fields);
  });
  expect(job.kind).toBe('deadlock');
  expect(job.traceHash).toBe(hash);
  await expect(page.locator('#outcome-line')).toContainText(`${(job.tick / 100).toFixed(2)} s`);
});

test('cancelling one batch rejects its jobs and leaves another batch to finish; a bad link fails alone', async ({ page }) => {
  await openLab(page);
  const r = await page.evaluate(async () => {
    const { WorkerPool, runLinkJob } = await import('./pool.js');
    const p = new WorkerPool({ size: 2 });
    const link = (seed) => `#v=1&preset=dfly-2008-07-01&ram=64M&until=60s&seed=${seed}`;
    const kept = [];
    const keep = p.runAll([1, 2, 3].map((s) => runLinkJob(link(s))), { onResult: (i, v) => kept.push([i, v.kind]) });
    const drop = p.runAll([4, 5, 6, 7, 8, 9].map((s) => runLinkJob(link(s))));
    drop.cancel();
    const bad = await p.request('run-link', { link: '#v=1&ram=3M' }).then(
      () => 'no error',
      (e) => e.message,
    );
    const [a, b] = await Promise.all([keep.done, drop.done]);
    return { a, b, kept: kept.length, bad, busy: p.busy };
  });
  expect(r.a).toEqual({ done: 3, total: 3, failed: 0, cancelled: false });
  expect(r.kept).toBe(3);
  expect(r.b.cancelled).toBe(true);
  expect(r.b.done).toBeLessThan(6);
  expect(r.bad).toContain('ram');
  expect(r.busy).toBe(0);
});
