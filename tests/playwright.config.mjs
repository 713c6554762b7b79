// End-to-end tests of the page in Debian's Chromium (/usr/bin/chromium); Playwright's own browser
// download is switched off (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1). Run with `make test` or, once the
// page is built (`make page`), with `cd tests && npx playwright test`.
import { defineConfig } from '@playwright/test';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.mjs';

// A port of its own, so a `make serve` on 8000 can keep running; E2E_PORT picks another one.
const PORT = Number(process.env.E2E_PORT || 8123);

export default defineConfig({
  testDir: '.',
  testMatch: /.*\.spec\.mjs$/,
  outputDir: 'test-results',
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list']],
  timeout: 30_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL: `http://127.0.0.1:${PORT}/`,
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1400, height: 1000 },
    trace: 'retain-on-failure',
    launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS },
  },
  webServer: {
    command: `python3 ../scripts/serve.py --dir ../www --port ${PORT}`,
    url: `http://127.0.0.1:${PORT}/`,
    // Never test whatever else happens to listen on the port: a busy port is an error.
    reuseExistingServer: false,
    timeout: 30_000,
  },
});
