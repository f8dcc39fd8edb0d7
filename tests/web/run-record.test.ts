// The page's record of its runs: a new run starts at a run's first report, earlier ones are kept up to a handful,
// and the CSV has a row per batch and per epoch.
import { describe, expect, it } from 'vitest';
import { KEPT_RUNS, RunRecorder, metricsCsv } from '../../web/src/page/run-record';
import type { TrainingEvent } from '../../web/src/worker/protocol';

const batches = (losses: number[], batchesDone: number): TrainingEvent =>
  ({ type: 'batches', losses, batchesDone, epochs: 2, batchesPerEpoch: 3, samplesPerSecond: 1 });
const epoch = (n: number): TrainingEvent => ({
  type: 'epoch', report: { epoch: n, epochs: 2, trainLoss: 0.5 / n, trainAccuracy: 0.8, testLoss: 0.4 / n, testAccuracy: 0.85, confusion: [1, 2] },
});

describe('the record of runs', () => {
  it('starts a run at its first report and records its losses and epochs', () => {
    const record = new RunRecorder();
    let label = 'a';
    for (const event of [batches([1, 0.9], 2), batches([0.8], 3), epoch(1), batches([0.7, Infinity, 0.5], 6), epoch(2)]) record.onEvent(event, () => label);
    label = 'b';
    record.onEvent(batches([2], 1), () => label);
    expect(record.runs.map((run) => [run.id, run.label, run.losses.length, run.epochs.length])).toEqual([[1, 'a', 6, 2], [2, 'b', 1, 0]]);
    expect(record.runs[0].losses[4]).toBeNaN();
    expect(record.earlier.map((run) => run.id)).toEqual([1]);
    record.clearEarlier();
    expect(record.runs.map((run) => run.id)).toEqual([2]);
  });

  it(`keeps the current run and ${KEPT_RUNS} earlier ones`, () => {
    const record = new RunRecorder();
    for (let i = 0; i < KEPT_RUNS + 3; i++) record.onEvent(batches([1], 1), () => `run ${i}`);
    expect(record.runs.length).toBe(KEPT_RUNS + 1);
    expect(record.current?.label).toBe(`run ${KEPT_RUNS + 2}`);
  });

  it('writes a CSV row per batch and per epoch', () => {
    const record = new RunRecorder();
    for (const event of [batches([1, 0.9, 0.8], 3), epoch(1)]) record.onEvent(event, () => 'hidden 64, "fast"');
    expect(metricsCsv(record.runs).split('\n')).toEqual([
      'run,settings,kind,epoch,batch,loss,train_loss,train_accuracy,test_loss,test_accuracy',
      '1,"hidden 64, ""fast""",batch,1,1,1,,,,',
      '1,"hidden 64, ""fast""",batch,1,2,0.9,,,,',
      '1,"hidden 64, ""fast""",batch,1,3,0.8,,,,',
      '1,"hidden 64, ""fast""",epoch,1,3,,0.5,0.8,0.4,0.85',
      '',
    ]);
  });
});
