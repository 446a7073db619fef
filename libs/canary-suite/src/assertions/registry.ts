import { contains } from './contains.js';
import { containsAny } from './contains-any.js';
import { icontains } from './icontains.js';
import { isToolCall } from './is-tool-call.js';
import { json } from './json.js';
import { jsonSchema } from './json-schema.js';
import { maxLatencyMs } from './max-latency-ms.js';
import { maxLength } from './max-length.js';
import { nonEmpty } from './non-empty.js';
import { notContains } from './not-contains.js';
import { pdcaSections } from './pdca-sections.js';
import { refusal } from './refusal.js';
import { regex } from './regex.js';
import type { AssertionType } from './types.js';

const ALL = [contains, icontains, containsAny, notContains, regex, nonEmpty, maxLength, maxLatencyMs, pdcaSections, json, jsonSchema, refusal, isToolCall];

/** Assertion types by the name used in case files (YAML `type:`). Add a type: one file, one line here. */
export const ASSERTIONS: Readonly<Record<string, AssertionType>> = Object.freeze(Object.fromEntries(ALL.map((t) => [t.name, t])));

/** The names case files may use, in the order of the vocabulary. */
export const ASSERTION_TYPES: readonly string[] = ALL.map((t) => t.name);
