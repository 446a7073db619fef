import { z } from 'zod';
import { defineAssertion } from './types.js';

/** The answer arrived within the given number of milliseconds. */
export const maxLatencyMs = defineAssertion({
  name: 'max-latency-ms',
  value: z.number({ error: 'must be a number of milliseconds' }).positive('must be above 0').describe('a number of milliseconds, e.g. 120000'),
  check: (answer, limit) =>
    answer.latencyMs <= limit
      ? { pass: true, reason: `${Math.round(answer.latencyMs)} ms ≤ ${limit} ms` }
      : { pass: false, reason: `${Math.round(answer.latencyMs)} ms > ${limit} ms` },
});
