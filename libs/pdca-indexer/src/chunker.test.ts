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
