import type { AssertionFn } from './types.js';

/** The answer matches the regular expression (JavaScript syntax; `flags: i` for case-insensitive). */
export const regex: AssertionFn = (answer, value, flags) => {
  const pattern = new RegExp(String(value), flags ?? '');
  return pattern.test(answer.text)
    ? { pass: true, reason: `matches /${String(value)}/` }
    : { pass: false, reason: `does not match /${String(value)}/` };
};
