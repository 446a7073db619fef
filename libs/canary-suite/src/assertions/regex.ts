import { z } from 'zod';
import { defineAssertion } from './types.js';

/** The pattern as a RegExp, or the JavaScript error that says why it does not compile. */
function compile(pattern: string, flags: string | undefined): RegExp | string {
  try {
    return new RegExp(pattern, flags ?? '');
  } catch (error) {
    return (error as Error).message;
  }
}

/** The answer matches the regular expression (JavaScript syntax; `flags: i` for case-insensitive). */
export const regex = defineAssertion({
  name: 'regex',
  value: z
    .string({ error: 'must be a string: a JavaScript regular expression (quote it in YAML)' })
    .min(1, 'must not be empty')
    .describe('a JavaScript regular expression, e.g. "\\\\b(yes|no)\\\\b"'),
  flags: z
    .string({ error: 'must be a string of RegExp flags such as "i"' })
    .refine((f) => typeof compile('', f) !== 'string', { error: (issue) => `${JSON.stringify(issue.input)} are not JavaScript RegExp flags (use letters from "dgimsuvy", each once)` })
    .describe('JavaScript RegExp flags such as "i"'),
  validate: (pattern, flags) => {
    const compiled = compile(pattern, flags);
    return typeof compiled === 'string' ? `does not compile: ${compiled}` : undefined;
  },
  check: (answer, pattern, flags) => {
    // Compiled per call: a `g` or `y` flag makes a shared RegExp stateful between answers.
    const compiled = compile(pattern, flags);
    if (typeof compiled === 'string') return { pass: false, reason: `pattern does not compile: ${compiled}` };
    const shown = `/${pattern}/${flags ?? ''}`;
    return compiled.test(answer.text) ? { pass: true, reason: `matches ${shown}` } : { pass: false, reason: `does not match ${shown}` };
  },
});
