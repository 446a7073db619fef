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

/** One assertion type: a pure function of the answer, the assertion's value and its flags. */
export type AssertionFn = (answer: AnswerUnderTest, value: unknown, flags?: string) => AssertionResult;
