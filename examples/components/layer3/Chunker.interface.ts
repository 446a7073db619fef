/**
 * Splits a document into overlapping windows for embedding. Kept behind an interface because
 * we expect to try a token-based chunker once the embedding model's tokenizer is available
 * offline; until then characters are a good enough proxy (MiniLM truncates at 256 tokens).
 */
export interface Chunk {
  index: number;
  text: string;
  /** Offset of the first character in the source body. */
  start: number;
  end: number;
}

export interface Chunker {
  readonly maxChars: number;
  readonly overlapChars: number;
  split(body: string): Chunk[];
}
