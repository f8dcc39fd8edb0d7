// The watchdog that takes a silent worker for dead (web/src/app/watchdog.ts): a watch expires after its timeout
// of silence, a touch restarts the silence, an ended watch never expires, and time the page did not run (a
// laptop asleep) does not count.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Watchdog } from '../../web/src/app/watchdog';

describe('Watchdog', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('expires a watch that stays silent for its timeout, once', () => {
    const expired = vi.fn();
    const dog = new Watchdog(expired);
    dog.watch('no answer to pause()', 10_000);
    vi.advanceTimersByTime(9_000);
    expect(expired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1_000);
    expect(expired).toHaveBeenCalledTimes(1);
    expect(expired).toHaveBeenCalledWith('no answer to pause()', 10_000);
    vi.advanceTimersByTime(60_000);
    expect(expired).toHaveBeenCalledTimes(1);
    expect(dog.size).toBe(0);
  });

  it('restarts the silence on a touch', () => {
    const expired = vi.fn();
    const dog = new Watchdog(expired);
    const watch = dog.watch('no progress while training', 10_000);
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(8_000);
      watch.touch();
    }
    expect(expired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(10_000);
    expect(expired).toHaveBeenCalledOnce();
  });

  it('never expires an ended watch, and stops ticking when none is left', () => {
    const expired = vi.fn();
    const dog = new Watchdog(expired);
    const a = dog.watch('a', 5_000);
    const b = dog.watch('b', 20_000);
    vi.advanceTimersByTime(2_000);
    a.end();
    vi.advanceTimersByTime(10_000);
    expect(expired).not.toHaveBeenCalled();
    b.end();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('expires each watch on its own timeout', () => {
    const expired = vi.fn();
    const dog = new Watchdog(expired);
    dog.watch('short', 3_000);
    dog.watch('long', 30_000);
    vi.advanceTimersByTime(3_000);
    expect(expired.mock.calls).toEqual([['short', 3_000]]);
    vi.advanceTimersByTime(27_000);
    expect(expired.mock.calls).toEqual([['short', 3_000], ['long', 30_000]]);
  });

  it('does not count time the page was not running (the clock jumped while asleep)', () => {
    const expired = vi.fn();
    const dog = new Watchdog(expired);
    dog.watch('no progress while training', 60_000);
    vi.advanceTimersByTime(30_000);
    // the machine sleeps for an hour: the clock jumps, the timers fire late
    vi.setSystemTime(Date.now() + 3_600_000);
    vi.advanceTimersByTime(1_000);
    expect(expired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(26_000);
    expect(expired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(5_000);
    expect(expired).toHaveBeenCalledOnce();
  });

  it('starts no watch after dispose', () => {
    const expired = vi.fn();
    const dog = new Watchdog(expired);
    dog.watch('a', 1_000);
    dog.dispose();
    dog.watch('b', 1_000);
    vi.advanceTimersByTime(10_000);
    expect(expired).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });
});
