import type { AssertionFn } from './types.js';

/** The answer contains at least one of the texts (case-insensitive). */
export const containsAny: AssertionFn = (answer, value) => {
  const options = (Array.isArray(value) ? value : [value]).map(String);
  const haystack = answer.text.toLowerCase();
  const hit = options.find((o) => haystack.includes(o.toLowerCase()));
  return hit !== undefined
    ? { pass: true, reason: `contains ${JSON.stringify(hit)}` }
    : { pass: false, reason: `contains none of ${options.map((o) => JSON.stringify(o)).join(', ')}` };
};
