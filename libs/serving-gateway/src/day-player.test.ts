import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '@web4/core';
import { documentTerms, generalQuestions, pickDayQuestions, projectQuestions, simulatedUser, type DayQuestion } from './day-player.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples', import.meta.url));

describe('the demo day player', () => {
  it('a seeded generator repeats itself and differs by seed', () => {
    const a = seededRandom('day-1');
    const b = seededRandom('day-1');
    const c = seededRandom('day-2');
    const xs = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(xs);
    expect(c()).not.toBe(xs[0]);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });

  it('expected terms come from the documents a question needs', () => {
    expect(documentTerms('components/layer2/OverlapChunker.ts')).toEqual(['OverlapChunker', 'overlap', 'chunker']);
    expect(documentTerms('journal/2026-11-12-0900-indexer-sprint/pdca/role/developer/2026-11-12-UTC-0930-chunker-drops-document-tail.md')).toEqual(['chunker', 'drops', 'document']);
    expect(documentTerms('journal/daily-notes/20261113-chroma-port-conflict.pdca.md')).toEqual(['chroma', 'conflict']);
    expect(documentTerms('trainai/incremental-indexing.md')).toEqual(['incremental', 'indexing']);
  });

  it('reads the shipped questions: 48 project questions with terms, 20 general ones', () => {
    const project = projectQuestions(join(EXAMPLES, 'queries/relevance.yaml'));
    const general = generalQuestions(join(EXAMPLES, 'demo/general_questions.yaml'));
    expect(project).toHaveLength(48);
    expect(general).toHaveLength(20);
    expect(project.every((q) => q.kind === 'project' && q.expect.length > 0)).toBe(true);
    expect(project[0]).toMatchObject({ id: 'q01', expect: expect.arrayContaining(['OverlapChunker', 'chunker']) });
    expect(general.every((q) => q.kind === 'general' && q.expect.length > 0)).toBe(true);
  });

  it('a question file without text is bad input that names the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'web4-day-'));
    writeFileSync(join(dir, 'g.yaml'), 'questions:\n  - id: x\n    expect: [a]\n');
    expect(() => generalQuestions(join(dir, 'g.yaml'))).toThrow(/g\.yaml: question 1 has no text/);
    expect(() => generalQuestions(join(dir, 'missing.yaml'))).toThrow(/Cannot read the general questions file/);
  });

  it('a day alternates general and project questions, cycles the pools, and is the same for the same seed', () => {
    const project = projectQuestions(join(EXAMPLES, 'queries/relevance.yaml'));
    const general = generalQuestions(join(EXAMPLES, 'demo/general_questions.yaml'));
    const day = pickDayQuestions(project, general, 40, 'demo:2026-11-25');
    expect(day).toHaveLength(40);
    expect(day.filter((q) => q.kind === 'general')).toHaveLength(20);
    expect(new Set(day.map((q) => q.id)).size).toBe(40);
    expect(pickDayQuestions(project, general, 40, 'demo:2026-11-25')).toEqual(day);
    expect(pickDayQuestions(project, general, 40, 'demo:2026-11-24').map((q) => q.id)).not.toEqual(day.map((q) => q.id));
    expect(pickDayQuestions(project, general, 50, 's').filter((q) => q.kind === 'general')).toHaveLength(25);
    expect(pickDayQuestions(project, [], 3, 's').every((q) => q.kind === 'project')).toBe(true);
    expect(() => pickDayQuestions(project, general, 0, 's')).toThrow(/whole number of questions/);
  });

  it('the simulated user rates what the answer says, with seeded noise', () => {
    const q: DayQuestion = { id: 'q01', query: 'Why did the chunker drop the tail?', kind: 'project', expect: ['OverlapChunker', 'tail'] };
    const rate = simulatedUser('seed-1');
    expect(rate(q, 1, '')).toMatchObject({ rating: 'down', comment: 'no answer' });
    expect(rate(q, 1, 'The OverlapChunker stopped early.')).toEqual(rate(q, 1, 'The OverlapChunker stopped early.'));
    // Over many draws: answers that mention an expected word are liked far more often.
    let good = 0;
    let bad = 0;
    for (let n = 1; n <= 400; n++) {
      if (rate(q, n, 'The OverlapChunker stopped before the tail.').rating === 'up') good++;
      if (rate(q, n, 'I do not know.').rating === 'up') bad++;
    }
    expect(good / 400).toBeGreaterThan(0.75);
    expect(bad / 400).toBeLessThan(0.4);
    expect(rate(q, 3, 'The OverlapChunker').matched).toEqual(['OverlapChunker']);
  });
});
