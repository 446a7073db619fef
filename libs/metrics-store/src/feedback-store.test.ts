import { FixedClock, InputError } from '@web4/core';
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
      { id, timestamp: '2026-11-25T08:30:00.000Z', query: 'how?', response: 'like this', rating: 'thumbs_up', comment: 'great', query_id: null },
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

  it('rateQuery: one row per query id; a second rating replaces rating, comment and timestamp, and counts once', () => {
    const clock = new FixedClock('2026-11-25T12:00:00Z');
    const path = join(root.dir, 'logs', 'user_feedback.db');
    const store = FeedbackStore.open(path, { clock });
    const first = store.rateQuery({ queryId: 'g-1', rating: 'up', comment: 'spot on', query: 'how do I roll back?', response: 'web4 model rollback', timestamp: new Date('2026-11-25T09:00:00Z') });
    expect(first).toEqual({ id: 1, replaced: false });
    expect(store.rateQuery({ queryId: 'g-2', rating: 'thumbs_down' })).toEqual({ id: 2, replaced: false });
    const again = store.rateQuery({ queryId: 'g-1', rating: 'down' }); // no comment, no texts, clock time
    expect(again).toEqual({ id: 1, replaced: true });
    expect(store.ratingOf('g-1')).toEqual({
      id: 1,
      query_id: 'g-1',
      rating: 'thumbs_down',
      comment: null, // replaced, not merged
      timestamp: '2026-11-25T12:00:00.000Z',
      query: 'how do I roll back?', // texts kept when the second call has none
      response: 'web4 model rollback',
    });
    expect(store.ratingOf('g-2')).toMatchObject({ query: '', response: '', comment: null, rating: 'thumbs_down' });
    expect(store.ratingOf('g-3')).toBeUndefined();
    expect(store.rateQuery({ queryId: 'g-2', rating: '👍', comment: 'better on a second look', response: 'full answer' })).toEqual({ id: 2, replaced: true });
    expect(store.ratingOf('g-2')).toMatchObject({ rating: 'thumbs_up', comment: 'better on a second look', response: 'full answer', query: '' });

    // add() still adds rows without an id, each counted.
    store.add({ query: 'q', response: 'r', rating: 'up' });
    const day = { from: new Date('2026-11-25T00:00:00Z'), to: new Date('2026-11-26T00:00:00Z') };
    expect(store.satisfaction(day.from, day.to)).toEqual({ up: 2, down: 1, total: 3, ratePct: (100 * 2) / 3 });
    // A second handle (another process) rating the same id replaces too: still one row for it.
    const other = FeedbackStore.open(path, { clock });
    expect(other.rateQuery({ queryId: 'g-1', rating: 'up' })).toEqual({ id: 1, replaced: true });
    other.close();
    expect(store.satisfaction(day.from, day.to)).toEqual({ up: 3, down: 0, total: 3, ratePct: 100 });
    expect(store.list(new Date(0), new Date('2030-01-01T00:00:00Z')).filter((e) => e.query_id === 'g-1')).toHaveLength(1);
    store.close();
  });

  it('rateQuery rejects a bad id, rating or comment with an InputError naming the field, and writes nothing', () => {
    const path = join(root.dir, 'fb.db');
    const store = FeedbackStore.open(path, { maxTextBytes: 100 });
    const cases: Array<[Parameters<FeedbackStore['rateQuery']>[0], string, RegExp]> = [
      [{ queryId: '', rating: 'up' }, 'queryId', /queryId must be a non-empty string of at most 200 characters/],
      [{ queryId: 'x'.repeat(201), rating: 'up' }, 'queryId', /queryId must be/],
      [{ queryId: 42 as never, rating: 'up' }, 'queryId', /queryId must be/],
      [{ queryId: 'g-1', rating: 'meh' }, 'rating', /Rating "meh" is not one of up, down/],
      [{ queryId: 'g-1', rating: 'up', comment: 'c'.repeat(101) }, 'comment', /comment is 101 bytes, over the limit of 100 bytes/],
      [{ queryId: 'g-1', rating: 'up', query: 'q'.repeat(200) }, 'query', /query is 200 bytes/],
    ];
    for (const [input, field, message] of cases) {
      let caught: unknown;
      try {
        store.rateQuery(input);
      } catch (error) {
        caught = error;
      }
      expect(caught, field).toBeInstanceOf(InputError);
      expect((caught as InputError).message, field).toMatch(message);
      expect((caught as InputError).details, field).toMatchObject({ field });
    }
    expect(store.list(new Date(0), new Date('2030-01-01T00:00:00Z'))).toEqual([]);
    store.close();
  });
});
