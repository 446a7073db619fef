import { jsonInAnswer, preview } from './json-in-answer.js';
import { quoteAll, textOrTexts } from './text-values.js';
import { defineAssertion } from './types.js';

/**
 * The answer is a JSON object or array, or holds one in a ``` code fence. With a value: it is an
 * object that has these top-level keys.
 */
export const json = defineAssertion({
  name: 'json',
  value: textOrTexts.optional().describe('a list of required top-level keys, e.g. [model, passed]'),
  check: (answer, keys) => {
    const found = jsonInAnswer(answer.text);
    if (!found.found) return { pass: false, reason: `no JSON: ${found.why}` };
    if (!keys) return { pass: true, reason: `valid JSON in ${found.where}` };
    if (Array.isArray(found.value)) return { pass: false, reason: `JSON in ${found.where} is an array, expected an object with ${quoteAll(keys)}` };
    const missing = keys.filter((k) => !Object.hasOwn(found.value as object, k));
    return missing.length === 0
      ? { pass: true, reason: `JSON object in ${found.where} has ${quoteAll(keys)}` }
      : { pass: false, reason: `JSON object in ${found.where} lacks ${quoteAll(missing)}: ${preview(found.value)}` };
  },
});
