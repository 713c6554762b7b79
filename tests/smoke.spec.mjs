// The page loads the engine: the wasm module instantiates and reports its version, with no error
// in the console, and the page passes an accessibility audit.
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { test, expect } from '@playwright/test';

const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));

/** Collects console errors and uncaught exceptions of a page, to assert there are none. */
function collectErrors(page) {
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  return errors;
}

test('the page loads the wasm engine and shows its version', async ({ page }) => {
  const errors = collectErrors(page);
  await page.goto('/');
  await expect(page.locator('#engine-version')).toHaveText(/^\d+\.\d+\.\d+/);
  await page.screenshot({ path: `${ARTIFACTS}smoke.png`, fullPage: true });
  expect(errors).toEqual([]);
});

test('the vendored uPlot is served', async ({ request }) => {
  const response = await request.get('/vendor/uPlot.esm.js');
  expect(response.status()).toBe(200);
  expect(response.headers()['content-type']).toMatch(/^text\/javascript/);
});

test('the page has no serious accessibility violations', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('#engine-version')).not.toBeEmpty();
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  expect(serious).toEqual([]);
});
