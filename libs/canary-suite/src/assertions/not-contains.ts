import type { AssertionFn } from './types.js';

/** The answer contains none of the texts (case-sensitive). */
export const notContains: AssertionFn = (answer, value) => {
  const banned = (Array.isArray(value) ? value : [value]).map(String);
  const found = banned.filter((b) => answer.text.includes(b));
  return found.length === 0
    ? { pass: true, reason: `free of ${banned.map((b) => JSON.stringify(b)).join(', ')}` }
    : { pass: false, reason: `contains forbidden ${found.map((b) => JSON.stringify(b)).join(', ')}` };
};
