import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '@web4/core';
import { jaccard, loadRoutingExamples, splitExamples, wordSet, type RoutingExample } from './routing-examples.js';

const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), '../../../../examples/routing/examples.yaml');
const dir = mkdtempSync(join(tmpdir(), 'web4-routing-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function fault(path: string): InputError {
  try {
    loadRoutingExamples(path);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error(`${path} loaded without an error`);
}

describe('the labelled routing examples (examples/routing/examples.yaml)', () => {
  const set = loadRoutingExamples(EXAMPLES);

  it('has 150-250+ questions of both kinds, every retrieval with its tiers, every tier represented', () => {
    expect(set.examples.length).toBeGreaterThanOrEqual(150);
    const retrieving = set.examples.filter((e) => e.retrieve);
    expect(retrieving.length).toBeGreaterThan(60);
    expect(set.examples.length - retrieving.length).toBeGreaterThan(60);
    for (const t of ['tools', 'history', 'trainai', 'graph'] as const) expect(retrieving.filter((e) => e.tiers.includes(t)).length, t).toBeGreaterThanOrEqual(15);
    expect(set.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('splits the same way every time, by the configured share per label, with no near-duplicate across the split', () => {
    const a = splitExamples(set.examples, 0.25);
    const b = splitExamples(set.examples, 0.25);
    expect(a.holdout.map((e) => e.entry)).toEqual(b.holdout.map((e) => e.entry));
    expect(a.train.length + a.holdout.length).toBe(set.examples.length);
    expect(a.holdout.length / set.examples.length).toBeGreaterThan(0.22);
    expect(a.holdout.length / set.examples.length).toBeLessThan(0.28);
    const share = (xs: RoutingExample[]) => xs.filter((e) => e.retrieve).length / xs.length;
    expect(Math.abs(share(a.holdout) - share(a.train))).toBeLessThan(0.05);
    const train = a.train.map((e) => wordSet(e.query));
    for (const h of a.holdout) {
      const w = wordSet(h.query);
      const closest = Math.max(...train.map((t) => jaccard(w, t)));
      expect(closest, h.query).toBeLessThan(0.6);
    }
    expect(splitExamples(set.examples, 0.4).holdout.length).toBeGreaterThan(a.holdout.length);
  });
});

describe('faults in an examples file are named with the file and the entry', () => {
  it('a missing file', () => {
    const e = fault(join(dir, 'nope.yaml'));
    expect(e.message).toContain(join(dir, 'nope.yaml'));
    expect(e.hint).toMatch(/gateway\.routing/);
  });

  it('malformed YAML', () => {
    const path = file('bad.yaml', 'examples:\n  - { q: "unclosed, retrieve: false\n');
    expect(fault(path).message).toMatch(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid YAML`));
  });

  it('no examples at all', () => {
    expect(fault(file('empty.yaml', 'version: 1\n')).message).toMatch(/holds no routing examples/);
  });

  it('a label that is not true/false', () => {
    const path = file('label.yaml', 'examples:\n  - { q: "How do I sort?", retrieve: false }\n  - { q: "Why did the chunker loop?", retrieve: yes-please }\n');
    const e = fault(path);
    expect(e.message).toContain('#2');
    expect(e.message).toContain(path);
    expect(e.message).toContain('Why did the chunker loop?');
    expect(e.message).toMatch(/must be true or false/);
  });

  it('an unknown tier, retrieval without tiers, tiers without retrieval, no question, a repeated question', () => {
    expect(fault(file('tier.yaml', 'examples:\n  - { q: "Why?", retrieve: true, tiers: [history, wiki] }\n')).message).toMatch(/#1 .*unknown tier\(s\): "wiki"/);
    expect(fault(file('none.yaml', 'examples:\n  - { q: "Why?", retrieve: true }\n')).message).toMatch(/#1 .*lists no tiers/);
    expect(fault(file('extra.yaml', 'examples:\n  - { q: "Sort?", retrieve: false, tiers: [tools] }\n')).message).toMatch(/#1 .*retrieve: false but lists tiers tools/);
    expect(fault(file('noq.yaml', 'examples:\n  - { retrieve: false }\n')).message).toMatch(/#1 .*no question text/);
    expect(fault(file('scalar.yaml', 'examples:\n  - just a string\n')).message).toMatch(/#1 .*not a mapping/);
    expect(fault(file('dup.yaml', 'examples:\n  - { q: "How do I sort?", retrieve: false }\n  - { q: "how do I sort", retrieve: false }\n')).message).toMatch(/#2 .*repeats routing example #1/);
  });
});
