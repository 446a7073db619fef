import type { AssertionFn } from './types.js';

/** The answer has at most `value` characters: catches a model that rambles or loops. */
export const maxLength: AssertionFn = (answer, value) => {
  const limit = Number(value);
  return answer.text.length <= limit
    ? { pass: true, reason: `${answer.text.length} ≤ ${limit} characters` }
    : { pass: false, reason: `${answer.text.length} > ${limit} characters` };
};
