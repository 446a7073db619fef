/**
 * What the tiers need from an embedding model: vectors for texts, in order. The real
 * implementation (all-MiniLM-L6-v2 through transformers.js) lives in ./embedding; this shape is
 * all the retrieval code depends on, so tiers never know where vectors come from.
 */
export interface TextEmbedder {
  embed(texts: string[]): Promise<number[][]>;
  /**
   * The model's tokenizer as a counter, and how many tokens the model reads: text past `max` is
   * ignored by the model, so chunkers use this to keep every chunk whole. Optional, and
   * undefined where no tokenizer is available.
   */
  tokenCounter?(): Promise<TokenCounter | undefined>;
}

export interface TokenCounter {
  /** Tokens the model reads per text, special tokens included. */
  max: number;
  /** Tokens of a text as the model sees it, special tokens included. */
  count(text: string): number;
}
