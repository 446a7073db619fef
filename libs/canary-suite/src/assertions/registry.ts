import { contains } from './contains.js';
import { icontains } from './icontains.js';
import { containsAny } from './contains-any.js';
import { maxLatencyMs } from './max-latency-ms.js';
import { maxLength } from './max-length.js';
import { nonEmpty } from './non-empty.js';
import { notContains } from './not-contains.js';
import { regex } from './regex.js';
import type { AssertionFn } from './types.js';

/** Assertion types by the name used in case files (YAML `type:`). */
export const ASSERTIONS: Readonly<Record<string, AssertionFn>> = {
  contains,
  icontains,
  'contains-any': containsAny,
  'not-contains': notContains,
  regex,
  'max-latency-ms': maxLatencyMs,
  'non-empty': nonEmpty,
  'max-length': maxLength,
};

export const ASSERTION_TYPES = Object.keys(ASSERTIONS);
