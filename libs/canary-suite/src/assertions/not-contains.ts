import { quoteAll, textOrTexts } from './text-values.js';
import { defineAssertion } from './types.js';

/** The answer contains none of the texts (case-sensitive). */
export const notContains = defineAssertion({
  name: 'not-contains',
  value: textOrTexts,
  check: (answer, banned) => {
    const found = banned.filter((b) => answer.text.includes(b));
    return found.length === 0 ? { pass: true, reason: `free of ${quoteAll(banned)}` } : { pass: false, reason: `contains forbidden ${quoteAll(found)}` };
  },
});
