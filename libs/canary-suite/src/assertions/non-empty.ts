import { defineAssertion } from './types.js';

/** The answer has at least one non-blank character. Takes no value. */
export const nonEmpty = defineAssertion({
  name: 'non-empty',
  check: (answer) => {
    const length = answer.text.trim().length;
    return length > 0 ? { pass: true, reason: `${length} characters` } : { pass: false, reason: 'the answer is empty or only whitespace' };
  },
});
