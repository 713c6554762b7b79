// The browser every end-to-end test and benchmark starts: Debian's Chromium (Playwright's own
// download cannot work on these machines), with the flags it needs here as root and offline.
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];
