import { FixedClock } from '@web4/core';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FeedbackStore, parseRating } from './feedback-store.js';
import { tempRoot } from './test-fixtures/snapshot.js';

let root: ReturnType<typeof tempRoot>;
beforeEach(() => (root = tempRoot()));
afterEach(() => root.cleanup());

describe('FeedbackStore', () => {
  it('computes the satisfaction rate over a window: 124 up of 142 is 87.3%', () => {
    const clock = new FixedClock('2026-11-25T12:00:00Z');
    const store = FeedbackStore.open(join(root.dir, 'logs', 'user_feedback.db'), { clock });
    for (let i = 0; i < 142; i++) {
      store.add({ query: `q${i}`, response: `r${i}`, rating: i < 124 ? 'up' : 'down', timestamp: new Date(Date.parse('2026-11-20T00:00:00Z') + i * 1_800_000) });
    }
    store.add({ query: 'old', response: 'r', rating: 'down', timestamp: new Date('2026-10-01T00:00:00Z') }); // outside the window
    const s = store.satisfaction(new Date('2026-11-18T12:00:00Z'), clock.now());
    expect(s).toEqual({ up: 124, down: 18, total: 142, ratePct: (100 * 124) / 142 });
    expect(s.ratePct!.toFixed(1)).toBe('87.3');
    expect(store.satisfaction(new Date('2027-01-01T00:00:00Z'), new Date('2027-01-02T00:00:00Z'))).toEqual({ up: 0, down: 0, total: 0, ratePct: null });

    const listed = store.list(new Date('2026-11-18T00:00:00Z'), clock.now(), 3);
    expect(listed.map((e) => e.query)).toEqual(['q141', 'q140', 'q139']);
    expect(listed[0]).toMatchObject({ rating: 'thumbs_down', comment: null, response: 'r141' });
    store.close();
  });

  it('stores the comment and the clock time when no timestamp is given', () => {
    const clock = new FixedClock('2026-11-25T08:30:00Z');
    const store = FeedbackStore.open(join(root.dir, 'fb.db'), { clock });
    const id = store.add({ query: 'how?', response: 'like this', rating: 'thumbs_up', comment: 'great' });
    expect(store.list(new Date(0), new Date('2030-01-01T00:00:00Z'))).toEqual([
      { id, timestamp: '2026-11-25T08:30:00.000Z', query: 'how?', response: 'like this', rating: 'thumbs_up', comment: 'great' },
    ]);
    expect(() => store.add({ query: '  ', response: 'x', rating: 'up' })).toThrow(/query is empty/);
    store.close();
  });

  it('parses ratings', () => {
    expect(parseRating('up')).toBe('thumbs_up');
    expect(parseRating(' Down ')).toBe('thumbs_down');
    expect(parseRating('👍')).toBe('thumbs_up');
    expect(() => parseRating(undefined)).toThrow(/not one of up, down/);
  });
});
