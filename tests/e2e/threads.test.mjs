// The SIMD build with threads, in a page: vite preview sends COOP/COEP, so the page runs the pthread build by
// default, and it must train to the very test accuracy of the one-thread build (?engine=simd). That the two
// builds learn the same weights to the bit is held in tests/node/threads.test.mjs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { useApp, waitForState } from './harness.mjs';

const RUN = 'hidden=128&images=5000&epochs=1&batch=64&lr=1&momentum=0.9&seed=4';

async function shortRun(app, t, engine) {
  const { page, errors } = await app.open(`?${RUN}${engine ? `&engine=${engine}` : ''}`);
  t.after(() => page.close());
  await page.locator('#start').click();
  await waitForState(page, ['done'], 60_000);
  const state = await page.evaluate(() => ({ ...document.body.dataset, isolated: crossOriginIsolated }));
  assert.deepEqual(errors, []);
  return state;
}

describe('the SIMD build with threads', () => {
  const app = useApp();

  test('a cross-origin-isolated page trains on two threads to the same test accuracy as one thread', async (t) => {
    const threaded = await shortRun(app, t);
    assert.equal(threaded.isolated, true, 'the preview server makes the page cross-origin isolated');
    assert.equal(threaded.engine, 'wasm-simd128');
    assert.equal(threaded.threads, '2');
    const single = await shortRun(app, t, 'simd');
    assert.equal(single.threads, '1', '?engine=simd keeps to one thread');
    assert.ok(Number(single.testAccuracy) > 0.8);
    assert.equal(threaded.testAccuracy, single.testAccuracy, 'the same test accuracy, to the last digit');
    assert.equal(threaded.batches, single.batches);
  });
});
