/**
 * One chunk of a PDCA as the daily buffer holds it. Deliberately small and local: the bridge
 * does not depend on how rag-tiers stores the buffer, only on these four fields.
 */
export interface BufferItem {
  /** Identifies the PDCA document (the same for all its chunks). */
  pdcaId: string;
  /** Position of this chunk in the document, from 0. */
  chunkIndex: number;
  text: string;
  /** Document metadata (title, date, objective, role, source path …); the first chunk's wins. */
  metadata?: Record<string, unknown>;
}

/** The original plan's training sample: one line of `samples.jsonl`. */
export interface TrainingSample {
  instruction: string;
  input: string;
  output: string;
  metadata: Record<string, unknown>;
}
