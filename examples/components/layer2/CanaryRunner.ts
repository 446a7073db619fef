/**
 * Runs declarative canary cases against a model. Each assertion type is one small function in
 * the registry below; cases are YAML data, so adding a case never needs TypeScript.
 */
export interface Assertion {
  type: 'contains' | 'not-contains' | 'regex' | 'non-empty' | 'max-latency-ms';
  value?: string | number;
  flags?: string;
}

export interface CanaryCase {
  id: string;
  prompt: string;
  assertions: Assertion[];
}

export interface Answer {
  text: string;
  latencyMs: number;
}

type Check = (a: Assertion, answer: Answer) => string | null;

const CHECKS: Record<Assertion['type'], Check> = {
  contains: (a, r) => (r.text.includes(String(a.value)) ? null : `expected the answer to contain "${a.value}"`),
  'not-contains': (a, r) => (r.text.includes(String(a.value)) ? `the answer contains "${a.value}"` : null),
  regex: (a, r) => (new RegExp(String(a.value), a.flags).test(r.text) ? null : `the answer does not match /${a.value}/${a.flags ?? ''}`),
  'non-empty': (_a, r) => (r.text.trim() ? null : 'the answer is empty'),
  'max-latency-ms': (a, r) => (r.latencyMs <= Number(a.value) ? null : `took ${Math.round(r.latencyMs)} ms, limit ${a.value} ms`),
};

export class CanaryRunner {
  private ask!: (prompt: string) => Promise<Answer>;

  constructor() {}

  init(ask: (prompt: string) => Promise<Answer>): this {
    this.ask = ask;
    return this;
  }

  async run(cases: CanaryCase[]): Promise<{ passed: number; failures: { id: string; reasons: string[] }[] }> {
    const failures: { id: string; reasons: string[] }[] = [];
    for (const c of cases) {
      const answer = await this.ask(c.prompt);
      const reasons = c.assertions.map((a) => CHECKS[a.type](a, answer)).filter((r): r is string => r !== null);
      if (reasons.length) failures.push({ id: c.id, reasons });
    }
    return { passed: cases.length - failures.length, failures };
  }
}
