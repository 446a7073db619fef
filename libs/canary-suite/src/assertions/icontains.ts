import { quoteAll, textOrTexts } from './text-values.js';
import { defineAssertion } from './types.js';

/** The answer contains the text, ignoring case; a list means every item. */
export const icontains = defineAssertion({
  name: 'icontains',
  value: textOrTexts,
  check: (answer, wanted) => {
    const haystack = answer.text.toLowerCase();
    const missing = wanted.filter((w) => !haystack.includes(w.toLowerCase()));
    return missing.length === 0
      ? { pass: true, reason: `contains ${quoteAll(wanted)} (any case)` }
      : { pass: false, reason: `missing ${quoteAll(missing)} (any case)` };
  },
});
