// The static server (scripts/serve.py): a client that goes away mid-response — the page
// terminating a pool worker while it fetches the wasm — is no error of the server's, so it prints
// nothing; a real error still reaches its output.
import { test, expect } from '@playwright/test';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
// a port of its own, next to the one the other tests are served on
const PORT = Number(process.env.E2E_PORT || 8123) + 50;

function startServer() {
  const proc = spawn('python3', [here('../scripts/serve.py'), '--dir', here('../www'), '--port', String(PORT)]);
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const ready = new Promise((resolve, reject) => {
    proc.stdout.on('data', () => out.includes('Serving') && resolve());
    proc.on('exit', (code) => reject(new Error(`serve.py exited (${code}): ${out}`)));
  });
  return { proc, ready, output: () => out };
}

/** Asks for the wasm, reads its first bytes, and resets the connection. */
function dropMidResponse() {
  return new Promise((resolve, reject) => {
    const s = net.connect(PORT, '127.0.0.1', () => {
      s.write('GET /pkg/pageout_web_bg.wasm HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    });
    s.once('data', () => {
      s.resetAndDestroy();
      resolve();
    });
    s.on('error', reject);
  });
}

test('the server says nothing when clients go away mid-response', async () => {
  const server = startServer();
  try {
    await server.ready;
    for (let i = 0; i < 10; i++) await dropMidResponse();
    // the server still serves, and has said nothing but that it serves
    const res = await fetch(`http://127.0.0.1:${PORT}/index.html`);
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(server.output().trim().split('\n')).toHaveLength(1);
    expect(server.output()).toContain(`http://127.0.0.1:${PORT}/`);
    // a request it cannot answer is still reported
    expect((await fetch(`http://127.0.0.1:${PORT}/no-such-file`)).status).toBe(404);
    await expect.poll(server.output).toContain('404');
  } finally {
    server.proc.kill();
  }
});
