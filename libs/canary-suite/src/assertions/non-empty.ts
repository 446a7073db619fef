import type { AssertionFn } from './types.js';

/** The answer has at least `value` non-blank characters (default 1). */
export const nonEmpty: AssertionFn = (answer, value) => {
  const min = value === undefined || value === null || value === true ? 1 : Number(value);
  const length = answer.text.trim().length;
  return length >= min
    ? { pass: true, reason: `${length} characters` }
    : { pass: false, reason: `only ${length} characters (need ${min})` };
};
