import { describe, expect, it } from 'vitest';
import { judgeCandidate, type GateInputs } from './candidate-gates.js';
import type { SuiteResult } from './run-cases.js';

function suite(results: Record<string, boolean>): SuiteResult {
  const list = Object.entries(results).map(([id, pass]) => ({ id, pass, latencyMs: 10, answer: pass ? 'ok' : 'no', assertions: pass ? [] : [{ type: 'contains', pass: false, reason: 'missing "x"' }] }));
  const passed = list.filter((r) => r.pass).length;
  return { passed, failed: list.length - passed, total: list.length, results: list };
}

const settings = { canaryPassPct: 100, requireNightLossDecrease: true, maxRetentionLossIncreasePct: 2 };
const good: GateInputs = {
  candidate: suite({ a: true, b: true }),
  production: suite({ a: true, b: true }),
  loss: { night: { production: 3, candidate: 2.5, tokens: 100 }, retention: { production: 3, candidate: 3.03, tokens: 50 } },
  settings,
};

describe('judgeCandidate', () => {
  it('passes when every gate passes (retention +1 % is within 2 %)', () => {
    const v = judgeCandidate(good);
    expect(v.pass).toBe(true);
    expect(v.gates.map((g) => [g.gate, g.pass])).toEqual([
      ['canaries', true],
      ['no-regression', true],
      ['night-loss', true],
      ['retention-loss', true],
    ]);
    expect(v.gates[3]!.measured).toBe('3.0000 → 3.0300 (+1.00 %)');
  });

  it('fails on one failing canary (20/20 means all), naming it', () => {
    const v = judgeCandidate({ ...good, candidate: suite({ a: true, b: false }), production: suite({ a: true, b: false }) });
    expect(v.pass).toBe(false);
    expect(v.reasons).toEqual(['canaries failed: b']);
  });

  it('a case production passes and the candidate fails blocks promotion even where canaries are not all required', () => {
    const v = judgeCandidate({ ...good, settings: { ...settings, canaryPassPct: 50 }, candidate: suite({ a: true, b: false }) });
    expect(v.gates.find((g) => g.gate === 'canaries')!.pass).toBe(true);
    expect(v.pass).toBe(false);
    expect(v.reasons).toEqual(['cases production passes fail on the candidate: b']);
  });

  it('fails when production could not be asked (a regression cannot be ruled out)', () => {
    const v = judgeCandidate({ ...good, production: undefined });
    expect(v.reasons).toEqual(['production could not be asked the canary cases, so a regression cannot be ruled out']);
  });

  it("fails when the candidate did not learn the night's documents, or forgot more than allowed", () => {
    expect(judgeCandidate({ ...good, loss: { ...good.loss, night: { production: 3, candidate: 3, tokens: 100 } } }).reasons[0]).toMatch(/did not learn/);
    const forgot = judgeCandidate({ ...good, loss: { ...good.loss, retention: { production: 3, candidate: 3.1, tokens: 50 } } });
    expect(forgot.reasons).toEqual(["the candidate forgot: retention loss 3.1000 is 3.33 % above production's 3.0000 (limit 2 %)"]);
  });

  it('an unmeasured loss fails its gate; an empty retention set (no history yet) passes with a note', () => {
    expect(judgeCandidate({ ...good, loss: { ...good.loss, night: { production: null, candidate: 2, tokens: 0 } } }).pass).toBe(false);
    const young = judgeCandidate({ ...good, loss: { ...good.loss, retention: { production: null, candidate: null, tokens: 0 } } });
    expect(young.pass).toBe(true);
    expect(young.gates[3]!.measured).toBe('no retention set yet (no history)');
  });

  it('no case ran: the canary gate fails', () => {
    expect(judgeCandidate({ ...good, candidate: suite({}), production: suite({}) }).reasons).toEqual(['no canary case ran']);
  });
});
