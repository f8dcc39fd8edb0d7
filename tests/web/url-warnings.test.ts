// The page's console warnings for refused URL parameters (issue 13, item 7): one "must be" and a phrase that
// says what is allowed, for every setting; an unknown engine is warned about, not silently ignored.
import { describe, expect, it } from 'vitest';
import {
  LIMITS, SETTING_NAMES, formatSetting, ignoredSettingWarning, parseEngineChoice, parseSettings, type SettingName,
} from '../../web/src/app/settings';

describe('warnings for refused URL settings', () => {
  it('read as one sentence: no "must be sizes must be"', () => {
    const raw = { hidden: 'abc' };
    const result = parseSettings(raw);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const warning = ignoredSettingWarning('hidden', raw.hidden, result.errors.hidden!, formatSetting(result.settings, 'hidden'));
    expect(warning).toBe(`scratchnet: ignoring hidden="abc" (must be whole numbers from 1 to ${LIMITS.hiddenSize}, separated by commas); using 2048`);
  });

  it('every refused setting\'s message fits after "must be"', () => {
    const bad: Partial<Record<SettingName, string>> = {};
    for (const name of SETTING_NAMES) bad[name] = 'x';
    bad.hidden = Array(40).fill('1').join(',');
    const result = parseSettings(bad);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    for (const name of SETTING_NAMES) {
      const error = result.errors[name];
      expect(error, name).toBeDefined();
      expect(error, name).not.toMatch(/\bmust\b|^(sizes|it|the value) /);
      expect(error, name).toMatch(/^(a |an |one of |whole numbers |at most |"all", or )/);
    }
  });
});

describe('the engine parameter', () => {
  it('takes the known builds, and auto when there is none', () => {
    expect(parseEngineChoice(null)).toEqual({ engine: 'auto' });
    for (const engine of ['auto', 'simd', 'scalar', 'threads'] as const) expect(parseEngineChoice(engine)).toEqual({ engine });
  });

  it('warns about an unknown one and runs auto', () => {
    expect(parseEngineChoice('gpu')).toEqual({
      engine: 'auto',
      warning: 'scratchnet: ignoring engine="gpu" (must be one of auto, simd, scalar, threads); using auto',
    });
    expect(parseEngineChoice('').warning).toMatch(/ignoring engine=""/);
  });
});
