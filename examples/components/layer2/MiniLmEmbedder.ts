import { pipeline, type FeatureExtractionPipeline } from '@huggingface/transformers';

/**
 * Sentence embeddings with all-MiniLM-L6-v2: mean pooling, L2-normalised, 384 dimensions.
 * Texts are embedded in batches sorted by length, because the tokenizer pads every item to
 * the longest one in its batch and padding is pure wasted work on a 2-core machine.
 */
export class MiniLmEmbedder {
  readonly dimension = 384;
  private extractor!: FeatureExtractionPipeline;
  private batchSize = 32;

  constructor() {}

  async init(modelDir: string, batchSize = 32): Promise<this> {
    this.batchSize = batchSize;
    this.extractor = await pipeline('feature-extraction', modelDir, { local_files_only: true, dtype: 'fp32' });
    // One warm-up call so the first real query does not pay for session creation.
    await this.extractor('warm up', { pooling: 'mean', normalize: true });
    return this;
  }

  async embed(texts: string[]): Promise<number[][]> {
    const order = texts.map((t, i) => ({ t, i })).sort((a, b) => a.t.length - b.t.length);
    const out = new Array<number[]>(texts.length);
    for (let start = 0; start < order.length; start += this.batchSize) {
      const batch = order.slice(start, start + this.batchSize);
      const tensor = await this.extractor(batch.map((b) => b.t), { pooling: 'mean', normalize: true });
      const rows = tensor.tolist() as number[][];
      batch.forEach((b, k) => (out[b.i] = rows[k]!));
    }
    return out;
  }
}
