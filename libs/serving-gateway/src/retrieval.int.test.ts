import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { InputError, loadConfig, resolvePaths, type Web4Config } from '@web4/core';
import { indexCorpus, indexDaily } from '@web4/pdca-indexer';
import { createEmbedder, openRag, type Embedder, type RagStack } from '@web4/rag-tiers';
import { RagContextRetriever, TIER_COLLECTIONS, gatewayTiersOf } from './retrieval.js';
import { createGatewayRouting, type GatewayRouting } from './router/gateway-routing.js';
import type { RouteDecision, TierName } from './types.js';

const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), '../../../examples');
const chromaUrl = () => process.env.WEB4_SERVICES__CHROMA__URL ?? inject('chromaUrl');

/** A fresh state root over the example corpus, with its own SQLite tiers and Chroma database. */
function rootConfig(root: string, overrides: Record<string, unknown> = {}): Web4Config {
  return loadConfig({
    root,
    env: {},
    overrides: {
      'services.chroma.url': chromaUrl(),
      'rag.chromaDatabase': `gw_${process.pid}_${Date.now().toString(36)}`,
      'rag.journal.root': join(EXAMPLES, 'journal'),
      'rag.corpus.components': join(EXAMPLES, 'components'),
      'rag.corpus.processDocs': join(EXAMPLES, 'process_docs'),
      'rag.corpus.toolExamples': join(EXAMPLES, 'tool_examples'),
      'rag.corpus.trainai': join(EXAMPLES, 'trainai'),
      'gateway.routing.examples': join(EXAMPLES, 'routing/examples.yaml'),
      ...overrides,
    },
  }).config;
}

const decision = (tiers: TierName[]): RouteDecision => ({ retrieve: true, tiers, confidence: 1, reason: 'test' });

describe('the gateway retriever over the real tiers (real Chroma, real embeddings, the example corpus)', () => {
  const root = mkdtempSync(join(tmpdir(), 'web4-gw-retrieval-'));
  let config: Web4Config;
  let embedder: Embedder;
  let rag: RagStack;
  let routing: GatewayRouting;

  beforeAll(async () => {
    config = rootConfig(root);
    embedder = createEmbedder(config, resolvePaths(config));
    rag = openRag(config, { embedder });
    await indexCorpus(rag, config);
    await indexDaily(rag, config, { date: '2026-11-25' });
    routing = await createGatewayRouting({ config, paths: resolvePaths(config), embedder });
  }, 600_000);

  afterAll(async () => {
    await routing?.close();
    await rag?.chroma.dropDatabase().catch(() => undefined);
    await rag?.close();
    await embedder?.dispose();
    rmSync(root, { recursive: true, force: true });
  });

  it('routes a question about the journal to history and records exactly the tiers of the items in the prompt', async () => {
    const q = 'Why did the overlap chunker loop forever in the indexer sprint?';
    const d = await routing.router.decide(q);
    expect(d).toMatchObject({ retrieve: true });
    expect(d.tiers).toContain('history');
    const ctx = await routing.retriever.retrieve(q, d);
    expect(ctx.items.length).toBeGreaterThan(0);
    expect(ctx.items.length).toBeLessThanOrEqual(config.serving.maxContextItems);
    expect(ctx.items.every((i) => i.score >= config.serving.minContextScore)).toBe(true);
    expect(ctx.items.some((i) => i.documentId.includes('overlap-chunker-infinite-loop'))).toBe(true);
    expect(ctx.tiersUsed).toContain('history');
    expect(ctx.tiersUsed.every((t) => d.tiers.includes(t))).toBe(true);
    expect(ctx.latencyMs).toBeGreaterThan(0);
  }, 60_000);

  it('retrieves only from the decision’s tiers: tools → components and tool examples, trainai → process docs and topics', async () => {
    const rag2 = new RagContextRetriever(rag.retriever, config.serving);
    const tools = await rag2.retrieve('How does the OverlapChunker split a document into chunks?', decision(['tools']));
    expect(tools.items.length).toBeGreaterThan(0);
    expect(tools.items.every((i) => TIER_COLLECTIONS.tools.includes(i.collection as never))).toBe(true);
    expect(tools.tiersUsed).toEqual(['tools']);
    const trainai = await rag2.retrieve('What sections does a PDCA have: plan, do, check, act?', decision(['trainai']));
    expect(trainai.items.length).toBeGreaterThan(0);
    expect(trainai.items.every((i) => TIER_COLLECTIONS.trainai.includes(i.collection as never))).toBe(true);
    expect(trainai.tiersUsed).toEqual(['trainai']);
  }, 60_000);

  it('a graph-only decision puts only graph items in the prompt (the PDCAs it started from stay out)', async () => {
    const rag2 = new RagContextRetriever(rag.retriever, { ...config.serving, minContextScore: 0.3 });
    const ctx = await rag2.retrieve('the overlap chunker infinite loop', decision(['graph']));
    expect(ctx.items.length).toBeGreaterThan(0);
    expect(ctx.items.every((i) => i.tier === 'graph')).toBe(true);
    expect(ctx.tiersUsed).toEqual(['graph']);
  }, 60_000);

  it('records the tiers of what was selected, never of what was merely found', async () => {
    const q = 'What did we decide about caching query embeddings?';
    const r = await rag.retriever.retrieve(q, { tiers: ['chroma', 'lexical', 'metadata'], collections: [...TIER_COLLECTIONS.history, ...TIER_COLLECTIONS.tools] });
    const ctx = await new RagContextRetriever(rag.retriever, { ...config.serving, maxContextItems: 1 }).retrieve(q, decision(['history', 'tools']));
    expect(ctx.items).toHaveLength(1);
    // Both tiers had results; only the one whose item reached the prompt is recorded.
    expect(new Set(r.results.flatMap(gatewayTiersOf)).size).toBeGreaterThan(1);
    expect(ctx.tiersUsed).toHaveLength(1);
  }, 60_000);

  it('nothing above the score floor → no context and no tiers: the query counts as pure trained', async () => {
    const strict = new RagContextRetriever(rag.retriever, { ...config.serving, minContextScore: 0.99 });
    const ctx = await strict.retrieve('What did we decide about the Chroma port?', decision(['history', 'tools', 'trainai', 'graph']));
    expect(ctx).toMatchObject({ items: [], tiersUsed: [] });
    const off = await routing.retriever.retrieve('anything', { retrieve: false, tiers: [], confidence: 1, reason: 'trained' });
    expect(off).toEqual({ items: [], tiersUsed: [], latencyMs: 0 });
  }, 60_000);

  it('a cancelled query is not retrieved for', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(routing.retriever.retrieve('chunker', decision(['history']), ac.signal)).rejects.toThrow(/abort/i);
  });

  it('mode always / never from the config, with the allowed tiers', async () => {
    const paths = resolvePaths(config);
    const always = await createGatewayRouting({ config: rootConfig(root, { 'gateway.routing.mode': 'always', 'gateway.routing.tiers': ['history', 'graph'], 'rag.chromaDatabase': config.rag.chromaDatabase }), paths, embedder });
    try {
      const d = await always.router.decide('How do I reverse a list in Python?');
      expect(d).toMatchObject({ retrieve: true, tiers: ['history', 'graph'] });
      const ctx = await always.retriever.retrieve('the overlap chunker infinite loop', d);
      expect(ctx.tiersUsed.length).toBeGreaterThan(0);
      expect(ctx.tiersUsed.every((t) => t === 'history' || t === 'graph')).toBe(true);
    } finally {
      await always.close();
    }
    const never = await createGatewayRouting({ config: rootConfig(root, { 'gateway.routing.mode': 'never', 'rag.chromaDatabase': config.rag.chromaDatabase }), paths, embedder });
    try {
      expect(await never.router.decide('Why did the overlap chunker loop forever?')).toMatchObject({ retrieve: false, tiers: [] });
    } finally {
      await never.close();
    }
  }, 120_000);

  it('a router whose examples file is missing does not start, and says which file and what to do', async () => {
    const missing = join(root, 'no-such-examples.yaml');
    const err = await createGatewayRouting({ config: rootConfig(root, { 'gateway.routing.examples': missing }), paths: resolvePaths(config), embedder }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toContain(missing);
    expect((err as InputError).hint).toMatch(/gateway\.routing\.mode/);
  });
});
