import { createHash } from 'node:crypto';
import type { MetadataTier } from './metadata-tier.js';
import type { TextEmbedder, TokenCounter } from './text-embedder.js';

/** Texts per call to the model by default: big enough to keep a worker pool busy. */
export const TEXTS_PER_MODEL_CALL = 128;

export function textHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/**
 * An embedder that never embeds the same text twice: vectors are kept in the metadata database
 * by text hash. Embedding is the whole cost of indexing on a small CPU, and the same chunk text
 * comes back often (an edited PDCA keeps most chunks; the nightly copy from the buffer to
 * history re-stores every chunk).
 */
export class CachedEmbedder implements TextEmbedder {
  /** Texts actually sent to the model since creation, and texts answered from the cache. */
  embedded = 0;
  reused = 0;

  constructor(
    private readonly inner: TextEmbedder,
    private readonly store: Pick<MetadataTier, 'cachedVectors' | 'storeVectors'>,
    /** Texts per call to the model; their vectors are saved after each call. */
    private readonly batchSize = TEXTS_PER_MODEL_CALL,
    /** Which model made the vectors: a new model or dtype must not reuse the old vectors. */
    readonly modelKey = '',
  ) {}

  /** The inner model's token counter, when it has one (a failure to load it reads as none). */
  async tokenCounter(): Promise<TokenCounter | undefined> {
    return this.inner.tokenCounter?.().catch(() => undefined);
  }

  async embed(texts: string[]): Promise<number[][]> {
    const hashes = texts.map((t) => textHash(`${this.modelKey}\u0000${t}`));
    const known = this.store.cachedVectors([...new Set(hashes)]);
    const missing: Array<{ hash: string; text: string }> = [];
    const queued = new Set<string>();
    hashes.forEach((h, i) => {
      if (!known.has(h) && !queued.has(h)) {
        queued.add(h);
        missing.push({ hash: h, text: texts[i]! });
      }
    });
    // Similar lengths together: a batch is padded to its longest text, so mixed lengths waste model time.
    missing.sort((a, b) => a.text.length - b.text.length);
    for (let i = 0; i < missing.length; i += this.batchSize) {
      const batch = missing.slice(i, i + this.batchSize);
      const vectors = await this.inner.embed(batch.map((m) => m.text));
      const entries = batch.map((m, j) => [m.hash, vectors[j]!] as const);
      this.store.storeVectors(entries);
      for (const [h, v] of entries) known.set(h, v);
    }
    this.embedded += missing.length;
    this.reused += texts.length - missing.length;
    return hashes.map((h) => known.get(h)!);
  }
}
