import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { loadConfig, resolvePaths, type Web4Config } from '@web4/core';
import { createEmbedder, openRag, type RagStack, type TextEmbedder } from '@web4/rag-tiers';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const EXAMPLES = join(REPO, 'examples');

/** The Chroma the test run started (tools/test/global-setup.ts exports its URL). */
export function testChromaUrl(): string {
  const url = process.env.WEB4_SERVICES__CHROMA__URL ?? inject('chromaUrl');
  if (!url) throw new Error('No Chroma for integration tests: tools/test/global-setup.ts sets WEB4_SERVICES__CHROMA__URL');
  return url;
}

let shared: TextEmbedder | undefined;
/** The real all-MiniLM-L6-v2 embedder from the local model folder, loaded once per test file. */
export function realEmbedder(config: Web4Config): TextEmbedder {
  shared ??= createEmbedder(config, resolvePaths(config));
  return shared;
}

let fixtures = 0;

export interface RagFixture {
  root: string;
  config: Web4Config;
  rag: RagStack;
  cleanup(): Promise<void>;
}

/**
 * A fresh state root whose config points at the examples (or a copy of the journal, or another
 * journal and components tree), with its own SQLite tiers and its own Chroma database.
 */
export async function ragFixture(options: { journal?: string; components?: string; chromaUrl?: string; copyJournal?: boolean } = {}): Promise<RagFixture> {
  const root = mkdtempSync(join(tmpdir(), 'web4-rag-'));
  let journal = options.journal ?? join(EXAMPLES, 'journal');
  if (options.copyJournal) {
    cpSync(journal, join(root, 'journal'), { recursive: true, verbatimSymlinks: true });
    journal = join(root, 'journal');
  }
  const { config } = loadConfig({
    root,
    env: {},
    overrides: {
      'services.chroma.url': options.chromaUrl ?? testChromaUrl(),
      // A database per fixture: test files run in parallel against one Chroma server.
      'rag.chromaDatabase': `t_${process.pid}_${++fixtures}_${Date.now().toString(36)}`,
      'rag.journal.root': journal,
      'rag.corpus.components': options.components ?? join(EXAMPLES, 'components'),
      'rag.corpus.processDocs': join(EXAMPLES, 'process_docs'),
      'rag.corpus.toolExamples': join(EXAMPLES, 'tool_examples'),
      'rag.corpus.trainai': join(EXAMPLES, 'trainai'),
      'rag.relevanceSet': join(EXAMPLES, 'queries/relevance.yaml'),
    },
  });
  const embedder = realEmbedder(config);
  const rag = openRag(config, { embedder });
  return {
    root,
    config,
    rag,
    async cleanup() {
      await rag.chroma.dropDatabase().catch(() => undefined);
      await rag.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
