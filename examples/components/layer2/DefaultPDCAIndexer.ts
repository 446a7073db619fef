import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { PDCAIndexer, IndexOutcome, IndexReport } from '../layer3/PDCAIndexer.interface.js';
import type { PDCADocument } from '../layer3/PDCADocument.interface.js';
import type { Chunker } from '../layer3/Chunker.interface.js';
import type { VectorStore } from '../layer3/VectorStore.interface.js';
import { HeaderParser } from './HeaderParser.js';
import { FileDiscovery } from '../layer1/FileDiscovery.js';

/**
 * Indexes PDCAs into the daily buffer. Incremental by content hash: a file whose hash is
 * already stored is skipped, a changed file has its old chunks deleted before the new ones are
 * added, so re-running the nightly job never duplicates a document.
 */
export class DefaultPDCAIndexer implements PDCAIndexer {
  private root = '';
  private store!: VectorStore;
  private chunker!: Chunker;
  private parser = new HeaderParser();
  private knownHashes = new Map<string, string>();

  constructor() {}

  initWith(root: string, store: VectorStore, chunker: Chunker): this {
    this.root = root;
    this.store = store;
    this.chunker = chunker;
    return this;
  }

  async init(): Promise<this> {
    await this.store.ensureCollection('daily_buffer');
    this.knownHashes = await this.store.contentHashes('daily_buffer');
    return this;
  }

  async indexDocument(doc: PDCADocument): Promise<IndexOutcome> {
    if (this.knownHashes.get(doc.id) === doc.contentHash) {
      return { path: doc.path, status: 'skipped-unchanged', chunks: 0 };
    }
    const chunks = this.chunker.split(doc.body);
    await this.store.deleteWhere('daily_buffer', { pdca_id: doc.id });
    await this.store.add(
      'daily_buffer',
      chunks.map((c) => ({
        id: `${doc.id}#${c.index}`,
        text: c.text,
        metadata: {
          pdca_id: doc.id,
          date: doc.header.day,
          file_path: doc.path,
          chunk_index: c.index,
          content_hash: doc.contentHash,
          trained_in_adapter: false,
          quality_score: 0,
        },
      })),
    );
    this.knownHashes.set(doc.id, doc.contentHash);
    return { path: doc.path, status: 'indexed', chunks: chunks.length };
  }

  async indexDay(day: string): Promise<IndexReport> {
    const started = performance.now();
    const files = await new FileDiscovery().init(this.root).forDay(day);
    const outcomes: IndexOutcome[] = [];
    for (const file of files) {
      try {
        outcomes.push(await this.indexDocument(await this.load(file)));
      } catch (err) {
        // One bad file must not stop the night: record why and carry on.
        outcomes.push({ path: file, status: 'failed', reason: (err as Error).message, chunks: 0 });
      }
    }
    const count = (s: IndexOutcome['status']) => outcomes.filter((o) => o.status === s).length;
    return {
      found: files.length,
      indexed: count('indexed'),
      skipped: count('skipped-unchanged'),
      failed: count('failed'),
      outcomes,
      durationMs: performance.now() - started,
    };
  }

  private async load(relPath: string): Promise<PDCADocument> {
    const bytes = await readFile(`${this.root}/${relPath}`);
    if (bytes.length === 0) throw new Error('empty file (0 bytes): write the PDCA or delete the placeholder');
    const body = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    const header = this.parser.parseHeader(body, FileDiscovery.dayFromName(relPath));
    return {
      id: relPath.replace(/\.md$/, ''),
      path: relPath,
      header,
      sections: this.parser.parseSections(body),
      body,
      contentHash: createHash('sha256').update(bytes).digest('hex'),
      sizeBytes: bytes.length,
    };
  }
}
