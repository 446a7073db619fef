import type { AssertionFn } from './types.js';

/** The answer contains the text (case-sensitive, as `icontains` is not); a list means every item. */
export const contains: AssertionFn = (answer, value) => {
  const wanted = Array.isArray(value) ? value.map(String) : [String(value)];
  const missing = wanted.filter((w) => !answer.text.includes(w));
  return missing.length === 0
    ? { pass: true, reason: `contains ${wanted.map((w) => JSON.stringify(w)).join(', ')}` }
    : { pass: false, reason: `missing ${missing.map((w) => JSON.stringify(w)).join(', ')}` };
};
