// Keyboard and accessibility of the page and the example post (issue 15): axe-core finds no violation of impact
// moderate or higher before, during and after a run; focus follows the buttons that disable themselves; every
// control answers Enter and Space; the confusion matrix's cells keep 4.5:1 and fit a phone; the charts are named.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ROOT, assertNoErrors, batchesDone, openFor, pollUntil, sleep, useApp, waitForState } from './harness.mjs';

const AXE = path.join(ROOT, 'node_modules/axe-core/axe.min.js');
const SERIOUS = new Set(['moderate', 'serious', 'critical']);
const SHORT_RUN = 'hidden=128&images=10000&epochs=2&batch=64&seed=1';

/** axe-core's violations of impact moderate or higher, each as "rule (impact): targets". */
async function axeViolations(page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => (await window.axe.run()).violations
    .map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((node) => node.target.join(' > ')) })));
  return violations.filter((v) => SERIOUS.has(v.impact)).map((v) => `${v.id} (${v.impact}): ${v.targets.join(', ')}`);
}

/** The id of the focused element, inside a trainer's shadow root when `host` names one. */
function focusedId(page, host) {
  return page.evaluate((selector) => {
    const root = selector ? document.querySelector(selector).shadowRoot : document;
    return root.activeElement?.id ?? null;
  }, host ?? null);
}

/** Contrast ratio of each confusion cell's text on its background (its tint over the panel), as WCAG defines it. */
function confusionContrasts(page) {
  return page.evaluate(() => {
    const parse = (color) => {
      const srgb = /color\(srgb ([\d.e-]+) ([\d.e-]+) ([\d.e-]+)(?: \/ ([\d.e-]+))?\)/.exec(color);
      if (srgb) return [Number(srgb[1]) * 255, Number(srgb[2]) * 255, Number(srgb[3]) * 255, srgb[4] === undefined ? 1 : Number(srgb[4])];
      const [r, g, b, a = 1] = (color.match(/[\d.]+/g) ?? []).map(Number);
      return [r, g, b, color.startsWith('rgba') ? a : 1];
    };
    const over = ([r, g, b, a], [R, G, B]) => [r * a + R * (1 - a), g * a + G * (1 - a), b * a + B * (1 - a)];
    const luminance = (rgb) => {
      const [r, g, b] = rgb.map((c) => { const v = c / 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const panel = parse(getComputedStyle(document.getElementById('confusion-panel')).backgroundColor);
    return [...document.querySelectorAll('#confusion td')].map((cell) => {
      const style = getComputedStyle(cell);
      const background = over(parse(style.backgroundColor), panel);
      const text = over(parse(style.color), background);
      const [light, dark] = [luminance(text), luminance(background)].sort((x, y) => y - x);
      return { text: cell.textContent, ratio: (light + 0.05) / (dark + 0.05), size: parseFloat(style.fontSize) };
    });
  });
}

describe('keyboard and accessibility', () => {
  const app = useApp();

  test('axe-core: no moderate or worse violation before, during and after a run; the charts are named', async (t) => {
    const { page, errors } = await openFor(t, app, `?${SHORT_RUN}`);
    await page.setViewportSize({ width: 1280, height: 800 });
    assert.deepEqual(await axeViolations(page), [], 'before training');
    await page.click('#start');
    await waitForState(page, 'training');
    await pollUntil(() => batchesDone(page), (n) => n >= 20);
    assert.deepEqual(await axeViolations(page), [], 'during training');
    await waitForState(page, 'done', 60_000);
    await sleep(300);
    assert.deepEqual(await axeViolations(page), [], 'after training');
    const names = await page.$$eval('#charts-panel canvas[role="img"]', (canvases) => canvases.map((c) => c.getAttribute('aria-label')));
    assert.equal(names.length, 2, 'both chart canvases are images to assistive technology');
    assert.match(names[0], /^Chart of the training loss per batch/);
    assert.match(names[1], /^Chart of the training and test accuracy per epoch/);
    assert.match(await page.locator('#summary').textContent(), /^Done: Epoch 2 of 2: test accuracy [\d.]+%, training accuracy [\d.]+%, test loss [\d.]+\.$/,
      'the read-out summary tells the curves\' story');
    await page.emulateMedia({ colorScheme: 'dark' });
    assert.deepEqual(await axeViolations(page), [], 'after training, dark theme');
    assertNoErrors(errors);
  });

  test('axe-core: the example post, with its two trainers told apart, before and after a run', async (t) => {
    const { page, errors } = await openFor(t, app, 'examples/blog-post.html', { waitForData: false });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.waitForFunction(() => ['small-trainer', 'deep-trainer']
      .every((id) => document.getElementById(id)?.shadowRoot?.getElementById('start')?.disabled === false), null, { timeout: 60_000 });
    assert.deepEqual(await axeViolations(page), [], 'before Start');
    const names = await page.evaluate(() => ['small-trainer', 'deep-trainer'].map((id) => document.getElementById(id).shadowRoot
      .getElementById('progress-panel').getAttribute('aria-label')));
    assert.deepEqual(names, ['Progress, small network', 'Progress, deep network'], 'each trainer\'s label joins its panels\' names');
    await page.locator('#small-trainer').locator('#start').click();
    await page.waitForFunction(() => document.getElementById('small-trainer').dataset.state === 'done', null, { timeout: 60_000 });
    assert.deepEqual(await axeViolations(page), [], 'after the small trainer\'s run');
    assertNoErrors(errors);
  });

  test('focus moves on when a button disables itself: Start → Pause → Resume → Pause, and Start when the run ends', async (t) => {
    // a run of some seconds: one that ended before Pause or Resume was pressed would never be paused (a flake)
    const { page, errors } = await openFor(t, app, '?hidden=512&images=10000&epochs=8');
    await page.focus('#start');
    await page.keyboard.press('Enter');
    await waitForState(page, 'training');
    assert.equal(await pollUntil(() => focusedId(page), (id) => id === 'pause'), 'pause', 'Start → Pause');
    await page.keyboard.press('Space');
    await waitForState(page, 'paused', 5000);
    assert.equal(await pollUntil(() => focusedId(page), (id) => id === 'resume'), 'resume', 'Pause → Resume');
    await page.keyboard.press('Enter');
    await waitForState(page, 'training', 5000);
    assert.equal(await pollUntil(() => focusedId(page), (id) => id === 'pause'), 'pause', 'Resume → Pause');
    await waitForState(page, 'done', 60_000);
    assert.equal(await pollUntil(() => focusedId(page), (id) => id === 'start'), 'start', 'the run ended: Start');
    assertNoErrors(errors);
  });

  test('in the embed, Start waits on the summary while the data downloads, then gives Pause the focus', async (t) => {
    const { page, errors } = await openFor(t, app, 'examples/blog-post.html', { waitForData: false });
    await page.waitForFunction(() => document.getElementById('small-trainer')?.shadowRoot?.getElementById('start')?.disabled === false, null, { timeout: 60_000 });
    await page.locator('#small-trainer').locator('#start').focus();
    await page.keyboard.press('Enter');
    const seen = new Set();
    await pollUntil(async () => { seen.add(await focusedId(page, '#small-trainer')); return [...seen]; }, (ids) => ids.includes('pause'), { timeout: 30_000, interval: 20 });
    assert.ok(seen.has('pause'), `focus went to Pause once training (saw ${[...seen].join(', ')})`);
    assert.ok([...seen].every((id) => ['start', 'summary', 'pause'].includes(id)), `focus never dropped to the page: ${[...seen].join(', ')}`);
    await page.waitForFunction(() => document.getElementById('small-trainer').dataset.state === 'done', null, { timeout: 60_000 });
    assert.equal(await pollUntil(() => focusedId(page, '#small-trainer'), (id) => id === 'start'), 'start');
    assertNoErrors(errors);
  });

  test('every button answers Enter and Space', async (t) => {
    const { page, errors } = await openFor(t, app, `?${SHORT_RUN}&autostart`);
    await waitForState(page, 'done', 60_000);
    // Clicks are counted and swallowed before the page's own handlers, so no button does anything here.
    await page.evaluate(() => {
      window.__clicks = [];
      window.addEventListener('click', (event) => {
        const target = event.target.closest('button, input');
        if (!target || target.type === 'file') return;
        window.__clicks.push(target.id);
        event.stopImmediatePropagation();
        event.preventDefault();
      }, true);
    });
    const ids = await page.$$eval('button', (buttons) => buttons.filter((b) => !b.disabled && b.checkVisibility()).map((b) => b.id));
    assert.ok(ids.length >= 6, `enabled buttons: ${ids.join(', ')}`);
    for (const id of ids) {
      for (const key of ['Enter', 'Space']) {
        await page.evaluate(() => { window.__clicks.length = 0; });
        await page.focus(`#${id}`);
        await page.keyboard.press(key);
        assert.deepEqual(await page.evaluate(() => window.__clicks), [id], `${key} on #${id} clicks it`);
      }
    }
    assertNoErrors(errors);
  });

  test('the model file picker opens with Enter and with Space', async (t) => {
    const { page, errors } = await openFor(t, app, '?hidden=64&images=2000');
    // Listening from the start: Playwright intercepts pickers only once told to, and a picker that opened before
    // (none shows in a headless browser) would stay open and block the next.
    const choosers = [];
    page.on('filechooser', (chooser) => choosers.push(chooser));
    await page.evaluate(() => 0);
    await page.locator('#load-file:enabled').waitFor({ state: 'attached' });
    for (const key of ['Enter', 'Space']) {
      const before = choosers.length;
      await page.focus('#load-file');
      await page.keyboard.press(key);
      const opened = await pollUntil(() => choosers.length, (n) => n > before, { timeout: 5000 });
      assert.equal(opened, before + 1, `${key} on #load-file opens the file picker`);
      await choosers.at(-1).setFiles([]); // closed with nothing chosen
    }
    assertNoErrors(errors);
  });

  test('the confusion matrix: every cell at 4.5:1 in both themes, and at 375 px it fits with text of 11 px or more', async (t) => {
    const { page, errors } = await openFor(t, app, `?${SHORT_RUN}&epochs=1&autostart`);
    await waitForState(page, 'done', 60_000);
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      const cells = await confusionContrasts(page);
      assert.equal(cells.length, 110, 'a count per cell and an accuracy per row');
      const low = cells.filter((cell) => !(cell.ratio >= 4.5));
      assert.deepEqual(low, [], `${scheme} theme: cells under 4.5:1`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 375, height: 812 });
    await sleep(300);
    const fit = await page.evaluate(() => {
      const scroller = document.querySelector('.confusion-scroll');
      const table = scroller.querySelector('table');
      const sizes = [...table.querySelectorAll('td, th')].filter((cell) => cell.checkVisibility()).map((cell) => parseFloat(getComputedStyle(cell).fontSize));
      return {
        scrolls: scroller.scrollWidth > scroller.clientWidth, tableRight: table.getBoundingClientRect().right,
        panelRight: document.getElementById('confusion-panel').getBoundingClientRect().right, smallest: Math.min(...sizes),
        accuracyLine: document.querySelector('.confusion-view-accuracy').checkVisibility(),
        accuracyText: document.querySelector('.confusion-view-accuracy').textContent,
      };
    });
    assert.equal(fit.scrolls, false, `the table does not scroll sideways at 375 px: ${JSON.stringify(fit)}`);
    assert.ok(fit.tableRight <= fit.panelRight, `the table ends inside its panel: ${JSON.stringify(fit)}`);
    assert.ok(fit.smallest >= 11, `its text is at least 11 px: ${fit.smallest}`);
    assert.ok(fit.accuracyLine, 'the per-class accuracies show as a line beneath');
    assert.match(fit.accuracyText, /^Accuracy by class: 0 [\d.]+ %, 1 [\d.]+ %, .*9 [\d.]+ %\.$/);
    assertNoErrors(errors);
  });
});
