/**
 * The contract every PDCA indexer honours. Layer 3 holds interfaces only: callers in layer 4
 * depend on this file, never on a concrete indexer, so the Chroma-backed indexer and the
 * in-memory one used by the smoke tests are interchangeable.
 */
import type { PDCADocument } from './PDCADocument.interface.js';

export interface IndexOutcome {
  /** Path relative to the journal root, forward slashes on every platform. */
  path: string;
  status: 'indexed' | 'skipped-unchanged' | 'failed';
  /** Present when status is `failed`: a sentence a person can act on. */
  reason?: string;
  chunks: number;
}

export interface IndexReport {
  found: number;
  indexed: number;
  skipped: number;
  failed: number;
  outcomes: IndexOutcome[];
  durationMs: number;
}

export interface PDCAIndexer {
  /** Prepares collections and caches. Safe to call twice. */
  init(): Promise<this>;
  /** Indexes one parsed document; replaces any chunks stored under the same pdca_id. */
  indexDocument(doc: PDCADocument): Promise<IndexOutcome>;
  /** Discovers and indexes every PDCA dated `day` (YYYY-MM-DD) under the journal root. */
  indexDay(day: string): Promise<IndexReport>;
}
