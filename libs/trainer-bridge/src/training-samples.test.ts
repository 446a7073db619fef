import { InputError } from '@web4/core';
import { describe, expect, it } from 'vitest';
import { buildTrainingSamples, joinChunks, splitText } from './training-samples.js';
import type { BufferItem } from './buffer-item.js';

const PDCA = `# 2026-11-24-UTC-0900 gateway retries

**Objective:** make the gateway retry Ollama once

## PLAN
Retry once on a connection reset.

## DO
Added a retry with 200 ms backoff.

## CHECK
p95 latency unchanged.

## ACT
Keep it.`;

/** Chunks the way the indexer cuts them: fixed size with an overlap. */
function chunk(id: string, text: string, size: number, overlap: number, metadata?: Record<string, unknown>): BufferItem[] {
  const items: BufferItem[] = [];
  for (let start = 0, i = 0; start < text.length; start += size - overlap, i++) {
    items.push({ pdcaId: id, chunkIndex: i, text: text.slice(start, start + size), ...(metadata ? { metadata } : {}) });
    if (start + size >= text.length) break;
  }
  return items;
}

describe('buildTrainingSamples', () => {
  it('reassembles a whole PDCA from shuffled, overlapping chunks', () => {
    const items = chunk('p1', PDCA, 60, 25, { title: 'gateway retries', date: '2026-11-24' });
    expect(items.length).toBeGreaterThan(4);
    const shuffled = [...items].reverse();
    const [sample, ...rest] = buildTrainingSamples(shuffled, { capChars: 6000 });
    expect(rest).toHaveLength(0);
    expect(sample!.output).toBe(PDCA);
    expect(sample!.instruction).toBe('Write the web4 PDCA "gateway retries" (2026-11-24).');
    expect(sample!.input).toBe('');
    expect(sample!.metadata).toMatchObject({ pdca_id: 'p1', chunks: items.length, part: 1, parts: 1, date: '2026-11-24' });
  });

  it('one sample per PDCA, titled from metadata or the first heading', () => {
    const items = [...chunk('a', PDCA, 1000, 0), ...chunk('b', 'plain text without heading', 1000, 0, { objective: 'try things' })];
    const samples = buildTrainingSamples(items, { capChars: 6000 });
    expect(samples.map((s) => s.instruction)).toEqual([
      'Write the web4 PDCA "2026-11-24-UTC-0900 gateway retries".',
      'Write the web4 PDCA "try things".',
    ]);
  });

  it('splits a PDCA over the cap into parts at paragraph breaks, losing nothing', () => {
    const long = Array.from({ length: 30 }, (_, i) => `Paragraph ${i}: ${'word '.repeat(30).trim()}`).join('\n\n');
    const samples = buildTrainingSamples(chunk('long', long, 1000, 150), { capChars: 1000 });
    expect(samples.length).toBeGreaterThan(4);
    for (const s of samples) expect(s.output.length).toBeLessThanOrEqual(1000);
    expect(samples[0]!.instruction).toContain(`(part 1 of ${samples.length})`);
    expect(samples.map((s) => s.output).join('\n\n')).toBe(long);
  });

  it('duplicate chunks (a re-indexed day) count once; empty PDCAs give no sample', () => {
    const items = chunk('p', PDCA, 80, 20);
    const samples = buildTrainingSamples([...items, ...items, { pdcaId: 'empty', chunkIndex: 0, text: '   ' }], { capChars: 6000 });
    expect(samples).toHaveLength(1);
    expect(samples[0]!.output).toBe(PDCA);
  });

  it('no items, no samples', () => {
    expect(buildTrainingSamples([], { capChars: 6000 })).toEqual([]);
  });

  it('refuses malformed items and a nonsense cap with what to fix', () => {
    expect(() => buildTrainingSamples([{ pdcaId: '', chunkIndex: 0, text: 'x' }], { capChars: 6000 })).toThrow(InputError);
    try {
      buildTrainingSamples([{ pdcaId: 'p', chunkIndex: -1, text: 'x' }], { capChars: 6000 });
      expect.unreachable();
    } catch (error) {
      expect((error as InputError).message).toContain('"chunkIndex":-1');
      expect((error as InputError).hint).toContain('chunkIndex >= 0');
    }
    expect(() => buildTrainingSamples([], { capChars: 10 })).toThrow(/at least 200/);
  });
});

describe('joinChunks / splitText', () => {
  it('removes only a real overlap', () => {
    expect(joinChunks(['the quick brown fox jumps over the fence', 'brown fox jumps over the fence and the lazy dog'])).toBe(
      'the quick brown fox jumps over the fence and the lazy dog',
    );
    // a short accidental match (< 20 chars) is not treated as overlap
    expect(joinChunks(['ends with a', 'a begins'])).toBe('ends with aa begins');
  });
  it('falls back to a hard cut when there is no break', () => {
    expect(splitText('x'.repeat(450), 200)).toEqual(['x'.repeat(200), 'x'.repeat(200), 'x'.repeat(50)]);
  });
});
