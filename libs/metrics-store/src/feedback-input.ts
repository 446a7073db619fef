import { type Clock, InputError } from '@web4/core';
import { type FeedbackInput, parseRating, type QueryRatingInput } from './feedback-store.js';
import { checkText, MAX_NAME_CHARS } from './query-record.js';

// The checks of a feedback row, shared by FeedbackStore (SQLite) and PostgresFeedbackStore:
// internal to the package (not exported from its entry).
const optionalText = (value: string | null | undefined, field: string, maxTextBytes: number): string | null =>
  value === undefined || value === null ? null : checkText(value, field, maxTextBytes);

/** A free-standing feedback row, checked as both dialects store it (InputError saying what to fix). */
export function checkedFeedback(input: FeedbackInput, maxTextBytes: number, clock: Clock) {
  const rating = parseRating(input.rating);
  const query = checkText(input.query, 'query', maxTextBytes);
  const response = checkText(input.response, 'response', maxTextBytes);
  if (query.trim() === '') throw new InputError('query is empty.', { hint: 'Pass the question the user asked with --query.', details: { field: 'query' } });
  const comment = optionalText(input.comment, 'comment', maxTextBytes);
  return { timestamp: (input.timestamp ?? clock.now()).toISOString(), query, response, rating, comment };
}

/** A rating of a query id, checked as both dialects store it (InputError saying what to fix). */
export function checkedRating(input: QueryRatingInput, maxTextBytes: number, clock: Clock) {
  const queryId = input.queryId;
  if (typeof queryId !== 'string' || queryId.length === 0 || queryId.length > MAX_NAME_CHARS) {
    throw new InputError(`queryId must be a non-empty string of at most ${MAX_NAME_CHARS} characters.`, {
      hint: 'Pass the query id the gateway returned with the answer (header X-Query-Id / field query_id).',
      details: { field: 'queryId' },
    });
  }
  return {
    queryId,
    rating: parseRating(input.rating),
    comment: optionalText(input.comment, 'comment', maxTextBytes),
    query: optionalText(input.query, 'query', maxTextBytes),
    response: optionalText(input.response, 'response', maxTextBytes),
    timestamp: (input.timestamp ?? clock.now()).toISOString(),
  };
}
