import { describe, expect, it } from 'vitest';
import { armLabel, seedOf } from '../lib/plot/arm-labels';

describe('armLabel', () => {
  it('names the known arms and adds the seed a run directory names', () => {
    expect(armLabel('rft')).toBe('RFT, oracle-filtered');
    expect(armLabel('srum', 'runs/gain/srum@0')).toBe('SRUM (seed 0)');
    expect(armLabel('base-think', 'data/base')).toBe('base, think mode');
    expect(armLabel('replay-ph', 'runs/gain/replay-ph@12/')).toBe('replay-ph (seed 12)');
  });
  it('finds no seed where the directory names none', () => {
    expect(seedOf(undefined)).toBeUndefined();
    expect(seedOf('runs/val-lg4')).toBeUndefined();
  });
});
