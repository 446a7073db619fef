import { z } from 'zod';

/** `value` of the text assertions: one string, or a non-empty list of strings; read as a list. */
export const textOrTexts = z
  .preprocess(
    (v) => (typeof v === 'string' ? [v] : v),
    z.array(z.string({ error: 'must be a string (quote numbers and dates in YAML)' }).min(1, 'must not be empty'), { error: 'must be a string or a list of strings' }).min(1, 'must list at least one string'),
  )
  .describe('a string or a list of strings');

export const quoteAll = (texts: readonly string[]) => texts.map((t) => JSON.stringify(t)).join(', ');
