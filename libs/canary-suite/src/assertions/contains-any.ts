import { quoteAll, textOrTexts } from './text-values.js';
import { defineAssertion } from './types.js';

/** The answer contains at least one of the texts (case-insensitive). */
export const containsAny = defineAssertion({
  name: 'contains-any',
  value: textOrTexts,
  check: (answer, options) => {
    const haystack = answer.text.toLowerCase();
    const hit = options.find((o) => haystack.includes(o.toLowerCase()));
    return hit !== undefined ? { pass: true, reason: `contains ${JSON.stringify(hit)}` } : { pass: false, reason: `contains none of ${quoteAll(options)}` };
  },
});
