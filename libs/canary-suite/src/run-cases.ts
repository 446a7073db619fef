import { ASSERTIONS } from './assertions/registry.js';
import type { AnswerUnderTest, AssertionResult } from './assertions/types.js';
import type { CanaryCase } from './case-file.js';

/** What the model is asked for one case. */
export interface Question {
  prompt: string;
  context?: string;
  system?: string;
  options?: Record<string, number | string | boolean>;
}

/** Something that answers a question: the served model, usually (see `ollamaAnswerer`). */
export type Answerer = (question: Question) => Promise<{ text: string; latencyMs: number }>;

export interface CaseResult {
  id: string;
  pass: boolean;
  latencyMs: number;
  answer: string;
  /** Set when the model could not be asked at all. */
  error?: string;
  assertions: Array<AssertionResult & { type: string }>;
}

export interface SuiteResult {
  passed: number;
  failed: number;
  total: number;
  results: CaseResult[];
}

/** Run every case in order; a case whose call fails counts as failed with the error kept. */
export async function runCases(
  cases: CanaryCase[],
  answer: Answerer,
  onCase?: (result: CaseResult, index: number) => void,
): Promise<SuiteResult> {
  const results: CaseResult[] = [];
  for (const [index, c] of cases.entries()) {
    let result: CaseResult;
    try {
      const { text, latencyMs } = await answer({
        prompt: c.prompt,
        ...(c.context ? { context: c.context } : {}),
        ...(c.system ? { system: c.system } : {}),
        ...(c.options ? { options: c.options } : {}),
      });
      const subject: AnswerUnderTest = { prompt: c.prompt, text, latencyMs };
      const assertions = c.assertions.map((a) => ({ type: a.type, ...ASSERTIONS[a.type]!(subject, a.value, a.flags) }));
      result = { id: c.id, pass: assertions.every((a) => a.pass), latencyMs, answer: text, assertions };
    } catch (error) {
      result = { id: c.id, pass: false, latencyMs: 0, answer: '', error: (error as Error).message, assertions: [] };
    }
    results.push(result);
    onCase?.(result, index);
  }
  const passed = results.filter((r) => r.pass).length;
  return { passed, failed: results.length - passed, total: results.length, results };
}

/** One line per case for a terminal: ✓/⚠️, position, id, latency, and why it failed. */
export function formatCaseLine(r: CaseResult, index: number, total: number): string {
  const why = r.error ?? r.assertions.filter((a) => !a.pass).map((a) => `${a.type}: ${a.reason}`).join('; ');
  return `  ${r.pass ? '✓' : '⚠️'} ${String(index + 1).padStart(2)}/${total} ${r.id} (${Math.round(r.latencyMs)} ms)${r.pass ? '' : ` — ${why}`}`;
}
