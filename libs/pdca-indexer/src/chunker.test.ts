import { describe, expect, it } from 'vitest';
import { chunkText } from './chunker.js';

describe('chunkText', () => {
  const text = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ') + '\n\n## ACT\nthe end of the document';

  it('covers the whole document, tail included', () => {
    const chunks = chunkText(text, 500, 100);
    expect(chunks.length).toBeGreaterThan(5);
    expect(chunks[chunks.length - 1]!.text).toContain('the end of the document');
    // Rebuilding by offsets gives the document back exactly.
    let rebuilt = '';
    for (const c of chunks) rebuilt = rebuilt.slice(0, c.start) + c.text;
    expect(rebuilt).toBe(text);
  });

  it('overlaps neighbours and cuts at word breaks', () => {
    const chunks = chunkText(text, 500, 100);
    for (let i = 1; i < chunks.length; i++) {
      const prev = chunks[i - 1]!;
      expect(chunks[i]!.start).toBeLessThan(prev.start + prev.text.length);
      expect(prev.start + prev.text.length - chunks[i]!.start).toBeGreaterThan(50);
      expect(chunks[i]!.text.startsWith('word') || chunks[i]!.text.startsWith('#') || chunks[i]!.text.startsWith('the')).toBe(true);
    }
    expect(chunks.every((c) => c.text.length <= 500)).toBe(true);
  });

  it('keeps a short document whole and rejects overlap >= size', () => {
    expect(chunkText('short', 500, 100)).toEqual([{ index: 0, start: 0, text: 'short' }]);
    expect(() => chunkText(text, 100, 100)).toThrow(/overlap/);
  });

  it('always advances on text without breaks', () => {
    const chunks = chunkText('x'.repeat(5000), 1000, 150);
    expect(chunks.length).toBe(6);
  });
});

describe('chunkText with a token budget', () => {
  // A stand-in tokenizer: one token per 3 characters plus [CLS] and [SEP].
  const count = (s: string) => Math.ceil(s.length / 3) + 2;
  const prose = Array.from({ length: 300 }, (_, i) => `token${i}`).join(' ') + '\n\nlast line of the text';

  it('shortens chunks until the model reads every character, and still covers the whole text', () => {
    const budget = { max: 128, count };
    const chunks = chunkText(prose, 1000, 150, budget);
    expect(chunks.every((c) => count(c.text) <= 128)).toBe(true);
    expect(chunkText(prose, 1000, 150).some((c) => count(c.text) > 128)).toBe(true); // without it they would not fit
    let rebuilt = '';
    for (const c of chunks) rebuilt = rebuilt.slice(0, c.start) + c.text;
    expect(rebuilt).toBe(prose);
    // shortened chunks overlap by the configured share of themselves (150 of 1000), give or take the word boundary
    for (let i = 1; i < chunks.length; i++) {
      const prev = chunks[i - 1]!;
      expect(prev.start + prev.text.length - chunks[i]!.start).toBeLessThanOrEqual(Math.floor((prev.text.length * 150) / 1000) + 10);
    }
  });

  it('counts what the caller says the model reads (a title in front of each chunk)', () => {
    const title = 'T'.repeat(90); // 30 tokens of the 128
    const chunks = chunkText(prose, 1000, 150, { max: 128, count: (c) => count(`${title}\n${c}`) });
    expect(chunks.every((c) => count(`${title}\n${c.text}`) <= 128)).toBe(true);
  });

  it('ends on text with no breaks at all, every piece within the budget', () => {
    const chunks = chunkText('x'.repeat(3000), 1000, 150, { max: 50, count });
    expect(chunks.every((c) => count(c.text) <= 50)).toBe(true);
    expect(chunks[chunks.length - 1]!.start + chunks[chunks.length - 1]!.text.length).toBe(3000);
  });
});
