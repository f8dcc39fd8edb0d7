// The embeddable trainer, end to end in Chromium: the example blog post (two <scratchnet-trainer>s), the
// iframe form, a plain page on another origin that loads the script from the app's server (the README's
// snippet), and the payload budget.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ROOT, pollUntil, screenshot, sleep, useApp } from './harness.mjs';

// Everything a reader's browser fetches before Start on the example post, gzipped as a static host sends it
// (issue 15): the page, the script, its chunks, one wasm build and the data's manifest; no data.
const BEFORE_START_BUDGET_BYTES = 250 * 1024;
/** The served sets' IDX files (full and subset). */
const IDX_FILE = /-ubyte\.gz$/;

// The element's JS, gzipped, plus one wasm build, gzipped: issue 15's 120 KiB.
const PAYLOAD_BUDGET_BYTES = 120 * 1024;

/** Reads a trainer element's state attributes (set on the host element, outside its shadow root). */
function trainerState(page, id) {
  return page.evaluate((selector) => ({ ...document.querySelector(selector)?.dataset }), `#${id}`);
}

async function waitForTrainer(page, id, states, timeout = 60_000) {
  await page.waitForFunction(([selector, wanted]) => wanted.includes(document.querySelector(selector)?.dataset.state),
    [`#${id}`, states], { timeout, polling: 100 });
}

/** Waits until a trainer's engine is loaded and its Start button enabled (with no data downloaded: it is idle). */
async function waitForStartable(page, id, timeout = 60_000) {
  await page.waitForFunction((selector) => {
    const start = document.querySelector(selector)?.shadowRoot?.getElementById('start');
    return start && !start.disabled;
  }, `#${id}`, { timeout, polling: 100 });
}

/** Records every request the page (and its workers) makes, by URL. */
function recordRequests(page) {
  const urls = [];
  page.on('request', (request) => urls.push(request.url()));
  return urls;
}

/** The shadow-root text of element #`inner` in trainer #`id`. */
function trainerText(page, id, inner) {
  return page.locator(`#${id}`).locator(`#${inner}`).textContent();
}

describe('the embeddable trainer', () => {
  const app = useApp();

  test('the example post: two trainers in their own shadow roots, untouched by the post\'s styles, one trains while the other stays idle', async (t) => {
    const { page, errors } = await app.open('examples/blog-post.html', { waitForData: false });
    t.after(() => page.close());
    for (const id of ['small-trainer', 'deep-trainer']) {
      const shadow = await page.evaluate((selector) => {
        const host = document.querySelector(selector);
        return { open: Boolean(host?.shadowRoot), buttons: host?.shadowRoot?.querySelectorAll('button').length ?? 0, inLight: host?.querySelectorAll('button').length ?? -1 };
      }, `#${id}`);
      assert.ok(shadow.open, `${id} has a shadow root`);
      assert.ok(shadow.buttons >= 5, `${id}'s controls live in its shadow root`);
      assert.equal(shadow.inLight, 0, `${id} puts nothing in the post's DOM`);
    }
    await waitForStartable(page, 'small-trainer');
    await waitForStartable(page, 'deep-trainer');
    // The post styles every button hotpink in cursive with !important, and every canvas with a dashed border.
    const start = page.locator('#small-trainer').locator('#start');
    const look = await start.evaluate((button) => ({ background: getComputedStyle(button).backgroundColor, font: getComputedStyle(button).fontFamily }));
    assert.notEqual(look.background, 'rgb(255, 105, 180)', 'the post\'s button colour does not reach in');
    assert.doesNotMatch(look.font, /cursive/);
    const canvasBorder = await page.locator('#small-trainer').locator('#loss-chart canvas').first().evaluate((canvas) => getComputedStyle(canvas).borderTopStyle);
    assert.notEqual(canvasBorder, 'dashed');
    // And ours does not reach out: the post's own paragraphs keep their font.
    assert.match(await page.locator('article p').first().evaluate((p) => getComputedStyle(p).fontFamily), /Georgia/);
    // Panels follow the attribute: the first shows no draw pad, the second no data panel.
    assert.equal(await page.locator('#small-trainer').locator('#draw-panel').isHidden(), true);
    assert.equal(await page.locator('#deep-trainer').locator('#draw-panel').isVisible(), true);

    await start.click();
    await waitForTrainer(page, 'small-trainer', ['done']);
    const small = await trainerState(page, 'small-trainer');
    const deep = await trainerState(page, 'deep-trainer');
    assert.ok(Number(small.testAccuracy) > 0.8, `the small trainer learned (${small.testAccuracy})`);
    assert.equal(deep.state, 'idle', 'the other trainer stayed idle');
    assert.equal(deep.batches, undefined, 'and ran no batch');
    const workers = await page.evaluate(() => performance.getEntriesByType('resource').filter((entry) => entry.name.includes('training.worker')).length);
    assert.ok(workers >= 1);
    await screenshot(page, 'embed-blog-post', { fullPage: true });
    assert.deepEqual(errors, []);
  });

  test('data on demand: nothing heavy before Start, one request per file for two trainers, the subset for a small run', async (t) => {
    // A fresh profile: this test's counts must not depend on what an earlier test cached.
    const context = await app.newContext();
    t.after(() => context.close());
    // Tall enough that both trainers are on screen, so neither pauses while the other starts.
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 3200 });
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
    const requests = recordRequests(page);
    await page.goto(new URL('examples/blog-post.html', app.url).href);
    await waitForStartable(page, 'small-trainer');
    await waitForStartable(page, 'deep-trainer');
    await sleep(500); // anything late (a prefetch) would count too

    // Before Start: the page, the script, its chunks, the engine and the data's manifest, and no data file.
    const beforeStart = [...new Set(requests)];
    assert.deepEqual(beforeStart.filter((url) => IDX_FILE.test(url)), [], 'no data file is fetched before Start');
    let total = 0;
    let data = 0;
    for (const url of beforeStart) {
      const body = Buffer.from(await (await fetch(url)).arrayBuffer());
      const bytes = gzipSync(body).length;
      total += bytes;
      if (url.includes('/data/')) data += bytes;
      console.log(`  ${(bytes / 1024).toFixed(1).padStart(6)} KiB  ${new URL(url).pathname}`);
    }
    console.log(`before Start, gzipped: ${(total / 1024).toFixed(1)} KiB in ${beforeStart.length} files (data: ${data} bytes, the manifest); budget ${BEFORE_START_BUDGET_BYTES / 1024} KiB`);
    assert.ok(total <= BEFORE_START_BUDGET_BYTES, `${total} bytes before Start, over the ${BEFORE_START_BUDGET_BYTES}-byte budget`);
    assert.ok(data < 2048, `only the manifest of the data folder is fetched before Start (${data} bytes)`);
    // Each Start says what it will download: the small trainer (images="10000") the subset and the test files.
    assert.equal((await trainerText(page, 'small-trainer', 'start')).trim(), 'Start (downloads 3.2 MB)');
    assert.equal((await trainerText(page, 'deep-trainer', 'start')).trim(), 'Start (downloads 11.2 MB)');
    assert.equal(await trainerText(page, 'small-trainer', 'data-status'), 'MNIST downloads when training starts (3.2 MB).');

    // Both started at once: the test files they share are fetched once.
    await page.evaluate(() => {
      for (const id of ['small-trainer', 'deep-trainer']) document.getElementById(id).shadowRoot.getElementById('start').click();
    });
    await waitForTrainer(page, 'small-trainer', ['done']);
    await waitForTrainer(page, 'deep-trainer', ['training', 'done']);
    const dataRequests = requests.filter((url) => IDX_FILE.test(url)).map((url) => new URL(url).pathname.replace('/data/mnist/', ''));
    assert.deepEqual(dataRequests.toSorted(), [
      't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', // shared
      'train-10k-images-idx3-ubyte.gz', 'train-10k-labels-idx1-ubyte.gz', // the small trainer's subset
      'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', // the deep trainer's full set
    ], 'one request per data file for the page');
    assert.equal(requests.filter((url) => url.endsWith('/manifest.json')).length, 1, 'one request for the manifest');
    assert.match(await trainerText(page, 'small-trainer', 'data-status'), /^MNIST ready: 10,000 training and 10,000 test images/);
    assert.match(await trainerText(page, 'deep-trainer', 'data-status'), /^MNIST ready: 60,000 training and 10,000 test images/);
    assert.equal((await trainerText(page, 'small-trainer', 'start')).trim(), 'Start', 'nothing left to download');

    // Another page of this browser: the files come from its cache, and Start says nothing of a download.
    const again = await context.newPage();
    const requestsAgain = recordRequests(again);
    await again.goto(new URL('examples/blog-post.html', app.url).href);
    await waitForStartable(again, 'small-trainer');
    assert.equal((await trainerText(again, 'small-trainer', 'start')).trim(), 'Start');
    await again.locator('#small-trainer').locator('#start').click();
    await waitForTrainer(again, 'small-trainer', ['done']);
    assert.match(await trainerText(again, 'small-trainer', 'data-status'), /from this browser’s cache/);
    assert.deepEqual(requestsAgain.filter((url) => IDX_FILE.test(url)), [], 'no data file is downloaded again');
    assert.deepEqual(errors, []);
  });

  test('an autostart trainer below the fold downloads nothing until it is scrolled into view', async (t) => {
    const context = await app.newContext(); // empty caches: every file it needs must come over the network
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const requests = recordRequests(page);
    await page.goto(new URL('examples/blog-post.html', app.url).href);
    await page.evaluate(() => {
      const late = Object.assign(document.createElement('scratchnet-trainer'), { id: 'late-trainer' });
      for (const [name, value] of Object.entries({ autostart: '', images: '2000', hidden: '32', epochs: '1', panels: 'progress' })) late.setAttribute(name, value);
      document.body.append(Object.assign(document.createElement('div'), { style: 'height: 4000px' }), late);
    });
    await page.waitForFunction(() => document.getElementById('late-trainer')?.dataset.engine, null, { timeout: 30_000 });
    await sleep(1000);
    assert.deepEqual(requests.filter((url) => IDX_FILE.test(url)), [], 'nothing downloaded while it is out of view');
    assert.equal((await trainerState(page, 'late-trainer')).state, 'idle');
    await page.locator('#late-trainer').scrollIntoViewIfNeeded();
    await waitForTrainer(page, 'late-trainer', ['done']);
    const fetched = requests.filter((url) => IDX_FILE.test(url)).map((url) => new URL(url).pathname.split('/').pop()).toSorted();
    assert.deepEqual(fetched, ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', 'train-10k-images-idx3-ubyte.gz', 'train-10k-labels-idx1-ubyte.gz']);
    assert.deepEqual(errors, []);
  });

  test('a trainer scrolled out of view pauses, and resumes when it is back', async (t) => {
    const { page, errors } = await app.open('examples/blog-post.html', { waitForData: false });
    t.after(() => page.close());
    await waitForStartable(page, 'deep-trainer');
    const deep = page.locator('#deep-trainer');
    await deep.locator('#start').scrollIntoViewIfNeeded();
    await deep.locator('#start').click();
    await waitForTrainer(page, 'deep-trainer', ['training']);
    await pollUntil(() => trainerState(page, 'deep-trainer'), (s) => Number(s.batches) > 5);
    await page.evaluate(() => window.scrollTo(0, 0)); // the second trainer starts well below the first screen
    await waitForTrainer(page, 'deep-trainer', ['paused'], 10_000);
    const pausedAt = Number((await trainerState(page, 'deep-trainer')).batches);
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.equal(Number((await trainerState(page, 'deep-trainer')).batches), pausedAt, 'no training off screen');
    await deep.locator('#start').scrollIntoViewIfNeeded();
    await waitForTrainer(page, 'deep-trainer', ['training', 'done'], 10_000);
    await pollUntil(() => trainerState(page, 'deep-trainer'), (s) => Number(s.batches) > pausedAt);
    assert.deepEqual(errors, []);
  });

  test('each trainer takes its colours from its theme attribute, not the OS: weight tiles, digits and background', async (t) => {
    const { page, errors } = await app.open('examples/blog-post.html', { waitForData: false });
    t.after(() => page.close());
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.evaluate(() => {
      for (const theme of ['dark', 'light']) {
        const trainer = document.createElement('scratchnet-trainer');
        trainer.id = `${theme}-trainer`;
        for (const [name, value] of Object.entries({ theme, panels: 'weights predictions', hidden: '32', images: '1000', epochs: '1', compact: '', autostart: '' })) trainer.setAttribute(name, value);
        document.body.prepend(trainer); // on screen: a trainer out of view holds its views back
      }
    });
    /** Mean luminance (0–255) of the first weight tile, the trainer's background and the first digit's ink. */
    const look = (theme) => pollUntil(() => page.locator(`#${theme}-trainer`).evaluate((host) => {
      const luminance = (color) => {
        const [r, g, b] = (color.match(/[\d.]+/g) ?? []).map(Number);
        return 0.299 * r + 0.587 * g + 0.114 * b;
      };
      const tile = host.shadowRoot?.querySelector('.weight-tiles-tile:not([hidden])');
      const digit = host.shadowRoot?.querySelector('.digit-grid-canvas');
      if (!tile || !tile.width || !digit) return null;
      const pixelLuminance = (data, i) => 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
      const { data } = tile.getContext('2d').getImageData(0, 0, tile.width, tile.height);
      let sum = 0;
      for (let i = 0; i < data.length; i += 4) sum += pixelLuminance(data, i);
      // the digit's ink: its opaque pixels
      const drawn = digit.getContext('2d').getImageData(0, 0, digit.width, digit.height).data;
      let ink = 0, inked = 0;
      for (let i = 0; i < drawn.length; i += 4) if (drawn[i + 3] > 200) { ink += pixelLuminance(drawn, i); inked++; }
      if (inked < 20) return null;
      return { tiles: sum / (data.length / 4), background: luminance(getComputedStyle(host).backgroundColor), ink: ink / inked };
    }), (value) => value !== null, { timeout: 30_000 });
    const light = await look('light');
    const dark = await look('dark');
    assert.ok(light && dark, 'both trainers drew their weight tiles and inked their digits');
    assert.ok(light.tiles > 150 && dark.tiles < 100, `weight tiles: light theme ${light.tiles.toFixed(0)}, dark ${dark.tiles.toFixed(0)}`);
    assert.ok(light.background > 200 && dark.background < 60, `background: light theme ${light.background}, dark ${dark.background}`);
    assert.ok(light.ink < 100 && dark.ink > 150, `digit ink: light theme ${light.ink}, dark ${dark.ink}`);
    await screenshot(page, 'embed-themes');
    assert.deepEqual(errors, []);
  });

  test('the iframe form, configured by URL parameters, loads and trains', async (t) => {
    const { page, errors } = await app.open('examples/blog-post.html', { waitForData: false });
    t.after(() => page.close());
    await page.setContent(`<!doctype html><p>An iframe embed:</p>
      <link rel="icon" href="data:,"><iframe id="frame" style="width: 420px; height: 900px; border: 0"
        src="${new URL('embed.html?panels=controls,progress,charts&hidden=64&images=3000&epochs=1&autostart&compact', app.url).href}"></iframe>`);
    const frame = page.frameLocator('#frame');
    const trainer = page.frames().find((f) => f.url().includes('embed.html'));
    assert.ok(trainer, 'the frame loaded embed.html');
    await trainer.waitForFunction(() => document.querySelector('scratchnet-trainer')?.dataset.state === 'done', null, { timeout: 60_000, polling: 100 });
    const accuracy = await trainer.evaluate(() => Number(document.querySelector('scratchnet-trainer').dataset.testAccuracy));
    assert.ok(accuracy > 0.7, `the iframe's trainer learned (${accuracy})`);
    assert.equal(await frame.locator('#hidden').inputValue(), '64', 'URL parameters set the attributes');
    assert.equal(await frame.locator('#confusion-panel').isHidden(), true, 'panels follow the parameter');
    await screenshot(page, 'embed-iframe');
    // The test's own host page (set with setContent) has no favicon; the frame's page logs nothing.
    assert.deepEqual(errors.filter((error) => !error.includes('/favicon.ico')), []);
  });

  test('the embed draws its charts without uPlot: both curves, a legend at the last point and at the pointer', async (t) => {
    const { page, errors } = await app.open(`embed.html?panels=controls,progress,charts&hidden=32&images=2000&epochs=2&autostart`, { waitForData: false });
    t.after(() => page.close());
    await page.waitForFunction(() => document.querySelector('scratchnet-trainer')?.dataset.state === 'done', null, { timeout: 60_000, polling: 100 });
    const host = page.locator('scratchnet-trainer');
    const state = await host.evaluate((element) => ({ ...element.dataset }));
    assert.equal(await host.locator('.light-plot').count(), 2, 'both charts are LightPlots');
    assert.equal(await host.locator('.u-over').count(), 0, 'no uPlot in the embed');
    const legend = (id) => host.locator(`#${id} .u-value`).allTextContents();

    // The loss legend names the last batch; the line of each series is on the canvas in its colour.
    const [batch, raw, smoothed] = await legend('loss-chart');
    assert.equal(batch, state.batches, 'the legend shows the last batch');
    assert.match(raw, /^0\.\d+$/);
    assert.match(smoothed, /^0\.\d+$/);
    const inked = await host.locator('#loss-chart').evaluate((chart) => {
      const canvas = chart.querySelector('canvas');
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      const colour = (marker) => getComputedStyle(marker).borderTopColor.match(/\d+/g).slice(0, 3).map(Number);
      const smoothColour = colour(chart.querySelectorAll('.u-marker')[1]);
      const count = ([r, g, b]) => {
        let n = 0;
        for (let i = 0; i < pixels.length; i += 4) {
          if (pixels[i + 3] > 200 && Math.abs(pixels[i] - r) + Math.abs(pixels[i + 1] - g) + Math.abs(pixels[i + 2] - b) < 30) n++;
        }
        return n;
      };
      return { width: canvas.width, smooth: count(smoothColour) };
    });
    assert.ok(inked.smooth > inked.width / 2, `the smoothed loss is drawn across the chart (${inked.smooth} pixels of its colour)`);

    // Under the pointer, the legend reads the batch there.
    const box = await host.locator('#loss-chart canvas').boundingBox();
    await page.mouse.move(box.x + box.width * 0.35, box.y + box.height / 2);
    const [hovered] = await legend('loss-chart');
    assert.ok(Number(hovered) > 1 && Number(hovered) < Number(state.batches), `the pointer's batch (${hovered} of ${state.batches})`);
    await page.mouse.move(0, 0);

    // The accuracy legend: the last epoch's accuracies, as the state says.
    const [epoch, , test] = await legend('accuracy-chart');
    assert.equal(epoch, '2');
    assert.equal(test, `${(100 * Number(state.testAccuracy)).toFixed(2)} %`);
    const names = await host.locator('canvas[role="img"]').evaluateAll((canvases) => canvases.map((c) => c.getAttribute('aria-label')));
    assert.equal(names.length, 2, 'both canvases are named images');
    assert.deepEqual(errors, []);
  });

  for (const width of [375, 1280]) {
    test(`at ${width} px wide, the documented host snippet fits the iframe to its content: no inner scrollbar`, async (t) => {
      const snippet = /```html\n(<script>[\s\S]*?scratchnet:height[\s\S]*?<\/script>)\n```/.exec(fs.readFileSync(path.join(ROOT, 'docs/embedding.md'), 'utf8'))?.[1];
      assert.ok(snippet, 'docs/embedding.md gives the host snippet');
      const { page, errors } = await app.open('examples/blog-post.html', { waitForData: false });
      t.after(() => page.close());
      await page.setViewportSize({ width, height: 800 });
      const src = new URL('embed.html?panels=controls,progress,charts,predictions&hidden=32&images=2000&epochs=1&autostart', app.url).href;
      await page.setContent(`<!doctype html><html><head><link rel="icon" href="data:,"></head><body style="margin: 0">
        <p>A post with an iframe embed:</p>
        <iframe class="scratchnet" style="width: 100%; height: 300px; border: 0" title="trainer" src="${src}"></iframe>
        ${snippet}</body></html>`);
      const trainer = page.frames().find((f) => f.url().includes('embed.html'));
      assert.ok(trainer, 'the frame loaded embed.html');
      await trainer.waitForFunction(() => document.querySelector('scratchnet-trainer')?.dataset.state === 'done', null, { timeout: 60_000, polling: 100 });
      const fit = () => trainer.evaluate(() => ({
        content: Math.ceil(document.body.getBoundingClientRect().height),
        frame: innerHeight,
        scrolls: document.documentElement.scrollHeight > document.documentElement.clientHeight,
      }));
      const reading = await pollUntil(fit, (r) => r.frame === r.content && !r.scrolls, { timeout: 5000 });
      assert.equal(reading.frame, reading.content, `the iframe is as tall as its content (${JSON.stringify(reading)})`);
      assert.equal(reading.scrolls, false, 'no inner scrollbar');
      assert.ok(reading.content > 300, `the content (${reading.content} px) is taller than the iframe's declared height`);
      assert.equal(await page.locator('iframe').evaluate((frame) => frame.getBoundingClientRect().height), reading.content);
      console.log(`iframe at ${width} px wide: ${reading.content} px tall`);
      await screenshot(page, `embed-iframe-fit-${width}`, { fullPage: true });
      assert.deepEqual(errors, []);
    });
  }

  test('the README snippet on a plain page of another origin works, within the payload budget', async (t) => {
    const scriptUrl = new URL('scratchnet-embed.js', app.url).href;
    const html = `<!doctype html><html><head><meta charset="utf-8"><title>plain post</title></head><body>
      <p>Some prose.</p>
      <scratchnet-trainer hidden="64" images="3000" epochs="1" autostart></scratchnet-trainer>
      <script type="module" src="${scriptUrl}"></script></body></html>`;
    const server = http.createServer((request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/html' });
      response.end(html);
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    // "localhost" is another origin than the app's 127.0.0.1: the worker, wasm and data all come cross-origin.
    const postUrl = `http://localhost:${server.address().port}/`;
    assert.notEqual(new URL(postUrl).origin, new URL(app.url).origin);

    const page = await app.context.newPage();
    t.after(async () => {
      await page.close();
      server.closeAllConnections(); // Chromium keeps its connections alive: without this, close() waits for them
      await new Promise((resolve) => server.close(resolve));
    });
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
    const payload = new Map();
    page.on('response', async (response) => {
      const url = response.url();
      if (!/\.(js|wasm)(\?|$)/.test(url) || url.includes('/data/')) return;
      try {
        payload.set(url, gzipSync(await response.body()).length);
      } catch { /* a response without a body (e.g. a redirect) weighs nothing */ }
    });
    await page.goto(postUrl);
    await page.waitForFunction(() => document.querySelector('scratchnet-trainer')?.dataset.state === 'done', null, { timeout: 60_000, polling: 100 });
    const state = await page.evaluate(() => ({ ...document.querySelector('scratchnet-trainer').dataset }));
    assert.ok(Number(state.testAccuracy) > 0.7, `trained cross-origin (${state.testAccuracy})`);
    assert.equal(state.engine, 'wasm-simd128');

    const wasm = [...payload.keys()].filter((url) => url.endsWith('.wasm'));
    assert.equal(wasm.length, 1, `one wasm build is fetched, not both: ${wasm.join(', ')}`);
    const total = [...payload.values()].reduce((sum, bytes) => sum + bytes, 0);
    console.log(`embed payload, gzipped: ${(total / 1024).toFixed(1)} KiB (budget ${PAYLOAD_BUDGET_BYTES / 1024} KiB)`);
    for (const [url, bytes] of payload) console.log(`  ${(bytes / 1024).toFixed(1).padStart(6)} KiB  ${new URL(url).pathname}`);
    assert.ok(total < PAYLOAD_BUDGET_BYTES, `the embed's JS and wasm weigh ${total} bytes gzipped, over the ${PAYLOAD_BUDGET_BYTES}-byte budget`);
    assert.deepEqual(errors, []);
  });
});
