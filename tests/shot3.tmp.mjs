import { chromium } from 'playwright-core';
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const p = await b.newPage({ viewport: { width: 1400, height: 900 } });
await p.goto('http://127.0.0.1:8140/?guide#v=1&preset=dfly-2008-06-30&ram=64M&seed=19');
await p.waitForSelector('#guide-start:focus', { timeout: 20000 });
await p.selectOption('#speed', '100');
await p.keyboard.press('Enter');
for (let q = 1; q <= 3; q++) {
  await p.waitForFunction((q) => document.querySelector('#guide-step').textContent === `Question ${q} of 3`, q, { timeout: 60000 });
  if (q === 2) await p.screenshot({ path: '/tmp/g2q.png' });
  await p.keyboard.press('ArrowDown');
  await p.keyboard.press('Enter');
  await p.waitForTimeout(200);
  console.log(q, await p.locator('#guide-context').textContent(), '|', await p.locator('#guide-question').textContent(), '|', await p.locator('#guide-answer').textContent());
  if (q === 3) await p.screenshot({ path: '/tmp/g3.png' });
  if (q < 3) await p.keyboard.press('Enter');
}
await b.close();
