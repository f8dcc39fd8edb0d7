// Under the strict Content-Security-Policy blog hosts and CMSs send (scripts from the page's own origin, wasm
// compiled, no eval of strings), the app and the embed load their engine and train. dist/ is served here by a
// plain static server that adds the header; Chromium reports every blocked eval or script as a violation.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, DIST, assertNoErrors, freePort } from './harness.mjs';

const STRICT_CSP = "script-src 'self' 'wasm-unsafe-eval'";
const TYPES = {
  '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
};

/** Serves dist/ with the strict policy on every response: a static host, no other special header. */
async function serveDistWithCsp() {
  const port = await freePort();
  const server = http.createServer((request, response) => {
    const pathname = decodeURIComponent(new URL(request.url, 'http://localhost').pathname);
    const file = path.join(DIST, pathname.endsWith('/') ? `${pathname}index.html` : pathname);
    if (!file.startsWith(DIST) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      response.writeHead(404, { 'Content-Security-Policy': STRICT_CSP }).end('not found');
      return;
    }
    response.writeHead(200, {
      'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Content-Security-Policy': STRICT_CSP,
    });
    fs.createReadStream(file).pipe(response);
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe(`the app and the embed under "${STRICT_CSP}"`, () => {
  let server, context, profile;
  before(async () => {
    server = await serveDistWithCsp();
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await context?.close().catch(() => undefined);
    await server?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  /** A page whose console errors, page errors and CSP violations are collected. */
  async function open(relative) {
    const page = await context.newPage();
    const errors = [];
    page.on('console', (message) => { if (message.type() === 'error') errors.push(`console.error: ${message.text()}`); });
    page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
    await page.addInitScript(() => {
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (event) => window.__violations.push(`${event.violatedDirective}: ${event.blockedURI}`));
    });
    const response = await page.goto(new URL(relative, server.url).href);
    assert.equal(response.headers()['content-security-policy'], STRICT_CSP, 'the page is served with the policy');
    return { page, errors };
  }

  test('the app loads its engine and trains a small network to the end', async (t) => {
    const { page, errors } = await open('?hidden=32&images=2000&epochs=1');
    t.after(() => page.close());
    await page.waitForFunction(() => document.body.dataset.state === 'ready', undefined, { timeout: 60_000 });
    assert.equal(await page.evaluate(() => document.body.dataset.engine), 'wasm-simd128');
    await page.click('#start');
    await page.waitForFunction(() => document.body.dataset.state === 'done', undefined, { timeout: 60_000 });
    assert.deepEqual(await page.evaluate(() => window.__violations), [], 'no CSP violation');
    assertNoErrors(errors);
  });

  test('the embed in the example post trains under the same policy', async (t) => {
    const { page, errors } = await open('examples/blog-post.html');
    t.after(() => page.close());
    const state = () => page.evaluate(() => document.querySelector('#small-trainer')?.dataset.state);
    // the engine loaded: Start is enabled (the data downloads when it is pressed)
    await page.waitForFunction(() => document.querySelector('#small-trainer')?.shadowRoot?.getElementById('start')?.disabled === false, undefined, { timeout: 60_000 });
    await page.locator('#small-trainer').locator('#start').click();
    await page.waitForFunction(() => document.querySelector('#small-trainer')?.dataset.state === 'done', undefined, { timeout: 90_000 });
    assert.equal(await state(), 'done');
    assert.ok(Number(await page.evaluate(() => document.querySelector('#small-trainer').dataset.testAccuracy)) > 0.8, 'and it learned');
    assert.deepEqual(await page.evaluate(() => window.__violations), [], 'no CSP violation');
    assertNoErrors(errors);
  });
});
