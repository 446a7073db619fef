import { describe, expect, it } from 'vitest';
import { newQueryId } from './query-id.js';

describe('newQueryId', () => {
  it('is a UUIDv7 carrying the millisecond time, ordered by time, and unique', () => {
    const at = Date.parse('2026-11-25T10:00:00.123Z');
    const id = newQueryId(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
    const ids = Array.from({ length: 1000 }, (_, i) => newQueryId(at + i));
    expect([...ids].sort()).toEqual(ids); // later ms sorts later
    const many = new Set(Array.from({ length: 100_000 }, () => newQueryId(at)));
    expect(many.size).toBe(100_000); // same millisecond: the 74 random bits keep them apart
    expect(newQueryId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
  });
});
