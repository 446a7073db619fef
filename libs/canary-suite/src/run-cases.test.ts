import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCaseFile } from './case-file.js';
import { runCases, type Answerer, type CaseResult } from './run-cases.js';

const dir = mkdtempSync(join(tmpdir(), 'web4-run-cases-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Cases p0 … p(n-1), each passing when the answer contains "ok". */
function cases(n: number) {
  const path = join(dir, `cases-${n}.yaml`);
  writeFileSync(path, `cases:\n${Array.from({ length: n }, (_, i) => `  - {id: c${i}, prompt: p${i}, assertions: [{type: contains, value: ok}]}\n`).join('')}`);
  return loadCaseFile(path);
}

/**
 * An answerer that takes `delays[i]` ms for prompt p<i> and records how many calls were in
 * flight at once and the order they started in.
 */
function recordingAnswerer(delays: number[]) {
  const seen = { inFlight: 0, maxInFlight: 0, started: [] as string[] };
  const answer: Answerer = async ({ prompt }) => {
    seen.started.push(prompt);
    seen.inFlight++;
    seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
    await new Promise((resolve) => setTimeout(resolve, delays[Number(prompt.slice(1))]));
    seen.inFlight--;
    return { text: `ok ${prompt}`, latencyMs: 1 };
  };
  return { answer, seen };
}

describe('runCases', () => {
  it('passes a case only when every assertion passes, and keeps a failed call as a failure', async () => {
    const path = join(dir, 'run.yaml');
    writeFileSync(path, 'cases:\n  - {id: good, prompt: a, assertions: [{type: contains, value: yes}]}\n  - {id: bad, prompt: b, assertions: [{type: contains, value: yes}]}\n  - {id: down, prompt: c, assertions: [{type: non-empty}]}\n');
    const answers: Record<string, string> = { a: 'yes indeed', b: 'no' };
    const result = await runCases(loadCaseFile(path), async ({ prompt }) => {
      if (!(prompt in answers)) throw new Error('connection refused');
      return { text: answers[prompt]!, latencyMs: 5 };
    });
    expect(result).toMatchObject({ passed: 1, failed: 2, total: 3 });
    expect(result.results[1]!.assertions).toEqual([{ type: 'contains', pass: false, reason: 'missing "yes"' }]);
    expect(result.results[2]).toMatchObject({ id: 'down', pass: false, error: 'connection refused', assertions: [] });
  });

  it('by default asks one case at a time, in file order', async () => {
    const { answer, seen } = recordingAnswerer([30, 5, 20, 1]);
    const done: number[] = [];
    const result = await runCases(cases(4), answer, { onCase: (_r, i) => done.push(i) });
    expect(seen.maxInFlight).toBe(1);
    expect(seen.started).toEqual(['p0', 'p1', 'p2', 'p3']);
    expect(done).toEqual([0, 1, 2, 3]);
    expect(result.passed).toBe(4);
  });

  it('with concurrency asks that many at once, reports each as it finishes and keeps the results in case order', async () => {
    // c0 is slow, so c1 … c3 finish first; with 3 workers c3 starts as soon as one is free.
    const { answer, seen } = recordingAnswerer([120, 10, 20, 10, 10, 10]);
    const done: string[] = [];
    const result = await runCases(cases(6), answer, { concurrency: 3, onCase: (r, i) => done.push(`${i}:${r.id}`) });
    expect(seen.maxInFlight).toBe(3);
    expect(done[0]).toBe('1:c1');
    expect(done.at(-1)).toBe('0:c0');
    expect(done).toHaveLength(6);
    expect(result.results.map((r) => r.id)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5']);
    expect(result.results.map((r) => r.answer)).toEqual(['ok p0', 'ok p1', 'ok p2', 'ok p3', 'ok p4', 'ok p5']);
  });

  it('never runs more workers than there are cases', async () => {
    const { answer, seen } = recordingAnswerer([5, 5]);
    await runCases(cases(2), answer, { concurrency: 8 });
    expect(seen.maxInFlight).toBe(2);
  });

  it('still takes a bare onCase callback as the third argument', async () => {
    const { answer } = recordingAnswerer([1, 1]);
    const seen: Array<[string, number]> = [];
    await runCases(cases(2), answer, (r: CaseResult, i: number) => seen.push([r.id, i]));
    expect(seen).toEqual([
      ['c0', 0],
      ['c1', 1],
    ]);
  });

  it('rejects a concurrency that is not a whole number of at least 1', async () => {
    const { answer } = recordingAnswerer([1]);
    await expect(runCases(cases(1), answer, { concurrency: 0 })).rejects.toThrow(/concurrency must be a whole number ≥ 1, got 0/);
    await expect(runCases(cases(1), answer, { concurrency: 1.5 })).rejects.toThrow(/got 1.5/);
  });
});
