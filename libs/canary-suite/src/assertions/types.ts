import type { z } from 'zod';

/** What an assertion sees: the model's answer to one case and how long it took. */
export interface AnswerUnderTest {
  prompt: string;
  text: string;
  latencyMs: number;
}

export interface AssertionResult {
  pass: boolean;
  /** Why it failed (or what it checked), in words a person can act on. */
  reason: string;
}

/**
 * One assertion type, as case files name it (`type:`). `check` is a pure function of the answer
 * and the assertion's already validated `value` and `flags`; everything that can be wrong with a
 * value is found by the schemas (and `validate`) when the case file is loaded, not at run time.
 */
export interface AssertionType<V = unknown> {
  /** The name used in case files. */
  readonly name: string;
  /**
   * Schema of `value`. Absent: the type takes no value. Make it `.optional()` when the value
   * may be left out, and end it with `.describe('…')`: that text says what is expected in load
   * errors ("value is required: a string or a list of strings").
   */
  readonly value?: z.ZodType<V>;
  /** Schema of `flags`; absent: the type takes no flags. */
  readonly flags?: z.ZodType<string>;
  /** A load-time check that needs value and flags together; returns the problem in words. */
  readonly validate?: (value: V, flags: string | undefined) => string | undefined;
  readonly check: (answer: AnswerUnderTest, value: V, flags?: string) => AssertionResult;
}

/** Declare an assertion type with its value type inferred from its schema. */
export function defineAssertion<V>(type: AssertionType<V>): AssertionType {
  return type as AssertionType;
}
