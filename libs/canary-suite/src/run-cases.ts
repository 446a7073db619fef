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
  /** In case order, whatever order they finished in. */
  results: CaseResult[];
}

/** Called as each case finishes; `index` is the case's position in the file. */
export type OnCase = (result: CaseResult, index: number) => void;

export interface RunCasesOptions {
  /** Cases asked at once (default 1: one after the other, in file order). */
  concurrency?: number;
  onCase?: OnCase;
}

/** Judge one answer by every assertion of its case. */
function judge(c: CanaryCase, text: string, latencyMs: number): CaseResult {
  const subject: AnswerUnderTest = { prompt: c.prompt, text, latencyMs };
  const assertions = c.assertions.map((a) => {
    try {
      return { type: a.type, ...ASSERTIONS[a.type]!.check(subject, a.value, a.flags) };
    } catch (error) {
      // A bug in an assertion type is not the model's failure to answer: keep it on the assertion.
      return { type: a.type, pass: false, reason: `assertion failed to run: ${(error as Error).message}` };
    }
  });
  return { id: c.id, pass: assertions.every((a) => a.pass), latencyMs, answer: text, assertions };
}

async function runOne(c: CanaryCase, answer: Answerer): Promise<CaseResult> {
  let reply: { text: string; latencyMs: number };
  try {
    reply = await answer({
      prompt: c.prompt,
      ...(c.context ? { context: c.context } : {}),
      ...(c.system ? { system: c.system } : {}),
      ...(c.options ? { options: c.options } : {}),
    });
  } catch (error) {
    return { id: c.id, pass: false, latencyMs: 0, answer: '', error: (error as Error).message, assertions: [] };
  }
  return judge(c, reply.text, reply.latencyMs);
}

/**
 * Ask every case and judge the answers, up to `concurrency` cases at once; results come back
 * in case order. A case whose call fails counts as failed with the error kept. The third
 * argument may still be a bare `onCase` callback.
 */
export async function runCases(cases: CanaryCase[], answer: Answerer, options: RunCasesOptions | OnCase = {}): Promise<SuiteResult> {
  const { concurrency = 1, onCase } = typeof options === 'function' ? { onCase: options } : options;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`runCases: concurrency must be a whole number ≥ 1, got ${concurrency}`);
  const results: CaseResult[] = new Array(cases.length);
  let next = 0;
  // Each worker takes the next case in file order, so with concurrency 1 the order is the file's.
  const worker = async () => {
    while (next < cases.length) {
      const index = next++;
      results[index] = await runOne(cases[index]!, answer);
      onCase?.(results[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, cases.length) }, worker));
  const passed = results.filter((r) => r.pass).length;
  return { passed, failed: results.length - passed, total: results.length, results };
}

/** One line per case for a terminal: ✓/⚠️, position, id, latency, and why it failed. */
export function formatCaseLine(r: CaseResult, index: number, total: number): string {
  const why = r.error ?? r.assertions.filter((a) => !a.pass).map((a) => `${a.type}: ${a.reason}`).join('; ');
  return `  ${r.pass ? '✓' : '⚠️'} ${String(index + 1).padStart(2)}/${total} ${r.id} (${Math.round(r.latencyMs)} ms)${r.pass ? '' : ` — ${why}`}`;
}
