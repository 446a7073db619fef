import type { AssertionFn } from './types.js';

/** The answer matches the regular expression (JavaScript syntax, flags `i` by default). */
export const regex: AssertionFn = (answer, value) => {
  const pattern = new RegExp(String(value), 'i');
  return pattern.test(answer.text)
    ? { pass: true, reason: `matches /${String(value)}/` }
    : { pass: false, reason: `does not match /${String(value)}/` };
};
