import { quoteAll, textOrTexts } from './text-values.js';
import { defineAssertion } from './types.js';

/** The answer contains the text (case-sensitive, as `icontains` is not); a list means every item. */
export const contains = defineAssertion({
  name: 'contains',
  value: textOrTexts,
  check: (answer, wanted) => {
    const missing = wanted.filter((w) => !answer.text.includes(w));
    return missing.length === 0 ? { pass: true, reason: `contains ${quoteAll(wanted)}` } : { pass: false, reason: `missing ${quoteAll(missing)}` };
  },
});
