import type { AssertionFn } from './types.js';

/** The answer contains none of the texts (case-insensitive). */
export const notContains: AssertionFn = (answer, value) => {
  const banned = (Array.isArray(value) ? value : [value]).map(String);
  const haystack = answer.text.toLowerCase();
  const found = banned.filter((b) => haystack.includes(b.toLowerCase()));
  return found.length === 0
    ? { pass: true, reason: `free of ${banned.map((b) => JSON.stringify(b)).join(', ')}` }
    : { pass: false, reason: `contains forbidden ${found.map((b) => JSON.stringify(b)).join(', ')}` };
};
