import type { AssertionFn } from './types.js';

/** The answer arrived within the given number of milliseconds. */
export const maxLatencyMs: AssertionFn = (answer, value) => {
  const limit = Number(value);
  return answer.latencyMs <= limit
    ? { pass: true, reason: `${Math.round(answer.latencyMs)} ms ≤ ${limit} ms` }
    : { pass: false, reason: `${Math.round(answer.latencyMs)} ms > ${limit} ms` };
};
