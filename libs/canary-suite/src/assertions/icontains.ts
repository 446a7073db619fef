import type { AssertionFn } from './types.js';

/** The answer contains the text, ignoring case; a list means every item. */
export const icontains: AssertionFn = (answer, value) => {
  const wanted = Array.isArray(value) ? value.map(String) : [String(value)];
  const haystack = answer.text.toLowerCase();
  const missing = wanted.filter((w) => !haystack.includes(w.toLowerCase()));
  return missing.length === 0
    ? { pass: true, reason: `contains ${wanted.map((w) => JSON.stringify(w)).join(', ')} (any case)` }
    : { pass: false, reason: `missing ${missing.map((w) => JSON.stringify(w)).join(', ')} (any case)` };
};
