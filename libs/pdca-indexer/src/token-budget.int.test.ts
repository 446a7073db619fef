import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '@web4/core';
import { chunkText } from './chunker.js';
import { embeddedText, titledBudget } from './document-indexer.js';
import { EXAMPLES, realEmbedder } from './test-support/rag-fixture.js';

/** With the real MiniLM tokenizer: every chunk of the example journal is read whole by the model. */
describe('chunks fit the embedding model window', () => {
  it('no chunk of the example journal or components exceeds 256 tokens with its title, and none is lost', async () => {
    const { config } = loadConfig({ env: {} });
    const tokens = await realEmbedder(config).tokenCounter!();
    expect(tokens?.max).toBe(256);
    const files = [...readdirSync(join(EXAMPLES, 'journal'), { recursive: true, encoding: 'utf8' }).map((f) => join(EXAMPLES, 'journal', f)), ...readdirSync(join(EXAMPLES, 'components'), { recursive: true, encoding: 'utf8' }).map((f) => join(EXAMPLES, 'components', f))]
      .filter((f) => /\.(md|ts)$/.test(f));
    let chunksSeen = 0;
    let overWithout = 0;
    for (const file of files) {
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(file));
      } catch {
        continue; // the journal's deliberate non-UTF-8 fixture
      }
      if (!text) continue;
      const title = text.split('\n')[0]!.slice(0, 80);
      const chunks = chunkText(text, config.rag.chunk.size, config.rag.chunk.overlap, titledBudget(title, tokens));
      for (const c of chunks) expect(tokens!.count(embeddedText(title, c.text)), `${file} chunk ${c.index}`).toBeLessThanOrEqual(256);
      let rebuilt = '';
      for (const c of chunks) rebuilt = rebuilt.slice(0, c.start) + c.text;
      expect(rebuilt).toBe(text);
      chunksSeen += chunks.length;
      overWithout += chunkText(text, config.rag.chunk.size, config.rag.chunk.overlap).filter((c) => tokens!.count(embeddedText(title, c.text)) > 256).length;
    }
    expect(chunksSeen).toBeGreaterThan(100);
    // The problem this guards against is real in this data: character-sized chunks overflow.
    expect(overWithout).toBeGreaterThan(50);
  }, 120_000);
});
