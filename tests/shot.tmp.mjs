import { chromium } from 'playwright-core';
const [url, out, w = '1400', h = '900', run = '0', theme = 'light'] = process.argv.slice(2);
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const p = await b.newPage({ viewport: { width: +w, height: +h }, colorScheme: theme });
await p.goto(url);
await p.waitForSelector('body[data-state="ready"]', { timeout: 20000 }).catch(() => {});
if (run === '1') {
  await p.selectOption('#speed', '0');
  await p.click('#run');
  await p.waitForFunction(() => /deadlock|survived|starved|stall|memory/i.test(document.querySelector('#outcome-line').textContent), null, { timeout: 60000 });
  await p.waitForTimeout(500);
}
await p.screenshot({ path: out, fullPage: process.env.FULL === '1' });
await b.close();
