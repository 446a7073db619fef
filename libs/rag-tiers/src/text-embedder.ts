/**
 * What the tiers need from an embedding model: vectors for texts, in order. The real
 * implementation (all-MiniLM-L6-v2 through transformers.js) lives in ./embedding; this shape is
 * all the retrieval code depends on, so tiers never know where vectors come from.
 */
export interface TextEmbedder {
  embed(texts: string[]): Promise<number[][]>;
}
