import { describe, expect, it } from 'vitest';
import { counted } from './counted.js';

describe('counted', () => {
  it('puts the noun in the singular for one and in the plural for any other count', () => {
    expect(counted(1, 'row')).toBe('1 row');
    expect(counted(1n, 'row')).toBe('1 row');
    expect(counted(0, 'row')).toBe('0 rows');
    expect(counted(2, 'row')).toBe('2 rows');
    expect(counted(2400, 'row')).toBe('2400 rows');
    expect(counted(1, 'migration step')).toBe('1 migration step');
    expect(counted(3, 'batch', 'batches')).toBe('3 batches');
    expect(counted(1, 'batch', 'batches')).toBe('1 batch');
  });
});
