import { z } from 'zod';
import { defineAssertion } from './types.js';

/** The answer has at most `value` characters: catches a model that rambles or loops. */
export const maxLength = defineAssertion({
  name: 'max-length',
  value: z.number({ error: 'must be a whole number of characters' }).int('must be a whole number').positive('must be above 0').describe('a number of characters, e.g. 400'),
  check: (answer, limit) =>
    answer.text.length <= limit
      ? { pass: true, reason: `${answer.text.length} ≤ ${limit} characters` }
      : { pass: false, reason: `${answer.text.length} > ${limit} characters` },
});
