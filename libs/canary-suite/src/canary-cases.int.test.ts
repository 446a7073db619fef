import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@web4/core';
import { describe, expect, it } from 'vitest';
import { loadCaseFile } from './case-file.js';
import { ollamaAnswerer } from './ollama-answerer.js';
import { formatCaseLine, runCases } from './run-cases.js';

/**
 * The shipped canary cases against the real Ollama that the test setup started, with the
 * embedded default model (web4-base: SmolLM2-135M-Instruct Q4_1): the production model of a
 * fresh install must pass all 20, or every night's candidate would be judged by cases that its
 * base already fails.
 */
const caseFile = join(dirname(fileURLToPath(import.meta.url)), '../../../examples/canary/cases.yaml');
const { config } = loadConfig({ env: process.env });

describe('examples/canary/cases.yaml on web4-base (real Ollama)', () => {
  it('passes 20 of 20 with 4 cases at a time', async () => {
    const url = config.services.ollama.url;
    expect(url, 'the test setup starts Ollama and sets WEB4_SERVICES__OLLAMA__URL').toBeTruthy();
    const cases = loadCaseFile(caseFile);
    const started = performance.now();
    const suite = await runCases(cases, ollamaAnswerer({ url: url!, model: config.models.baseModel }), { concurrency: 4 });
    const wallS = (performance.now() - started) / 1000;
    console.log(
      `canary suite on ${config.models.baseModel}: ${suite.passed}/${suite.total} in ${wallS.toFixed(1)} s wall (concurrency 4; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')})`,
    );
    const failures = suite.results.flatMap((r, i) => (r.pass ? [] : [`${formatCaseLine(r, i, suite.total)}\n      answer: ${JSON.stringify(r.answer)}`]));
    expect(failures, failures.join('\n')).toEqual([]);
    expect(suite.passed).toBe(20);
  }, 600_000);
});
