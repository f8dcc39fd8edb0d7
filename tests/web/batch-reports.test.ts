// The worker's 'batches' events (web/src/worker/batch-reports.ts): chunks gathered into one event, sent at most
// every interval, with every loss in order, the run's count after the last chunk and the speed over all of them.
import { describe, expect, it } from 'vitest';
import { BatchReports, type Chunk } from '../../web/src/worker/batch-reports';

const chunk = (from: number, count: number, seconds = 0.04): Chunk => ({
  losses: Array.from({ length: count }, (_, i) => from + i),
  samples: 64 * count,
  seconds,
  batchesDone: from + count,
  epochs: 3,
  batchesPerEpoch: 938,
});

describe('BatchReports', () => {
  it('gathers chunks into one event until the interval has passed', () => {
    const reports = new BatchReports(100);
    reports.add(chunk(0, 6));
    expect(reports.takeIfDue(0)).toMatchObject({ type: 'batches', losses: [0, 1, 2, 3, 4, 5], batchesDone: 6 });
    reports.add(chunk(6, 6));
    expect(reports.takeIfDue(40)).toBeNull();
    reports.add(chunk(12, 6));
    expect(reports.takeIfDue(80)).toBeNull();
    reports.add(chunk(18, 3, 0.02));
    const event = reports.takeIfDue(100);
    expect(event).toEqual({
      type: 'batches', losses: Array.from({ length: 15 }, (_, i) => 6 + i), batchesDone: 21, epochs: 3, batchesPerEpoch: 938,
      samplesPerSecond: (64 * 15) / 0.1,
    });
    expect(reports.takeIfDue(1000)).toBeNull();
  });

  it('gives what was gathered at once when asked (a step, a pause, an epoch end)', () => {
    const reports = new BatchReports(100);
    reports.add(chunk(0, 6));
    expect(reports.takeIfDue(0)?.losses).toHaveLength(6);
    reports.add(chunk(6, 1));
    expect(reports.take(1)).toMatchObject({ losses: [6], batchesDone: 7 });
    expect(reports.take(2)).toBeNull();
    // and the interval counts from that event
    reports.add(chunk(7, 2));
    expect(reports.takeIfDue(50)).toBeNull();
    expect(reports.takeIfDue(101)?.losses).toEqual([7, 8]);
  });

  it('keeps its own copy of a chunk\'s losses', () => {
    const reports = new BatchReports(100);
    const first = chunk(0, 2);
    reports.add(first);
    reports.add(chunk(2, 2));
    expect(first.losses).toEqual([0, 1]);
    expect(reports.take(0)?.losses).toEqual([0, 1, 2, 3]);
  });

  it('says no speed for chunks that took no time', () => {
    const reports = new BatchReports(100);
    reports.add(chunk(0, 1, 0));
    expect(reports.take(0)?.samplesPerSecond).toBe(0);
  });
});
