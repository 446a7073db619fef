import { randomBytes } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { AdminClient, ChromaClient, type Collection, type Metadata, type Where } from 'chromadb';
import { ServiceError } from '@web4/core';
import { COLLECTION_DESCRIPTIONS, COLLECTION_NAMES, PDCA_COLLECTIONS, type CollectionName } from './collections.js';
import type { MetadataValue, RetrievalFilters, RetrievalTier, RetrievedItem, TierQuery } from './retrieval-tier.js';
import { VectorMirror, type MirrorRows, type VectorMirrorOptions } from './vector-mirror.js';

/** One stored chunk: its id is `<doc id>#<chunk index>`, so re-indexing overwrites, never duplicates. */
export interface ChunkRecord {
  id: string;
  embedding: number[];
  document: string;
  metadata: Record<string, string | number | boolean>;
}

/** Chroma rejects very large requests; this stays well below its default maximum batch. */
const WRITE_BATCH = 1000;
const DEFAULT_TENANT = 'default_tenant';
const DEFAULT_DATABASE = 'default_database';
/** Rows per read when the vector mirror loads a collection. */
const READ_PAGE = 500;
/** The collection metadata key every write through ChromaTier changes (the vector mirror's signal). */
export const CHANGE_MARK = 'web4_changed';
/** Stands for "this state root has no Chroma" in messages (no URL configured, none started). */
export const NO_CHROMA = '(none)';

/**
 * Tier 1: the Chroma collections. Vectors come from our embedder (never from Chroma's default
 * embedding package), and collections use cosine space, so a distance d maps to a score 1 - d.
 */
export class ChromaTier implements RetrievalTier {
  readonly name = 'chroma' as const;
  /** The server, or NO_CHROMA when this state root has none (every call then fails saying so). */
  readonly url: string;
  readonly database: string;
  readonly tenant: string;
  private readonly client: ChromaClient;
  private readonly admin: AdminClient;
  private readonly handles = new Map<CollectionName, Promise<Collection>>();
  private databaseReady: Promise<void> | undefined;
  private mirror: VectorMirror | undefined;
  /** The vector mirror's polls: one kept-alive connection. */
  private pollAgent: HttpAgent | undefined;

  /**
   * The only place a Chroma client is made: every read and write goes to `tenant`/`database`
   * (this state root's, from the config), created on first use. `url` undefined: this state
   * root has no Chroma, and no other server is used in its place.
   */
  constructor(url: string | undefined, database = DEFAULT_DATABASE, tenant = DEFAULT_TENANT) {
    this.url = url ?? NO_CHROMA;
    this.database = database;
    this.tenant = tenant;
    const u = new URL(url ?? 'http://127.0.0.1:9');
    const server = { host: u.hostname, port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)), ssl: u.protocol === 'https:' };
    this.client = new ChromaClient({ ...server, tenant, database });
    this.admin = new AdminClient(server);
  }

  /** Create the configured tenant and database on first use (the default ones always exist). */
  ensureDatabase(): Promise<void> {
    if (this.database === DEFAULT_DATABASE && this.tenant === DEFAULT_TENANT) return this.url === NO_CHROMA ? this.call('open database', async () => undefined) : Promise.resolve();
    this.databaseReady ??= this.call('open database', async () => {
      if (this.tenant !== DEFAULT_TENANT) {
        try {
          await this.admin.getTenant({ name: this.tenant });
        } catch (error) {
          if (isConnectionFailure(error)) throw error;
          await this.admin.createTenant({ name: this.tenant });
        }
      }
      try {
        await this.admin.getDatabase({ name: this.database, tenant: this.tenant });
      } catch (error) {
        if (isConnectionFailure(error)) throw error;
        await this.admin.createDatabase({ name: this.database, tenant: this.tenant });
      }
    }).catch((error: unknown) => {
      this.databaseReady = undefined;
      throw error;
    });
    return this.databaseReady;
  }

  /** Delete this state root's database with all its collections (test clean-up). */
  async dropDatabase(): Promise<void> {
    if (this.database === DEFAULT_DATABASE) throw new Error('refusing to drop the default database');
    this.handles.clear();
    this.databaseReady = undefined;
    this.invalidateAll();
    await this.call('drop database', () => this.admin.deleteDatabase({ name: this.database, tenant: this.tenant }));
  }

  /** Delete every collection of this database (tests, and `rag reset` style repairs). */
  async dropAll(): Promise<void> {
    await this.ensureDatabase();
    this.handles.clear();
    const cols = await this.call('list collections', () => this.client.listCollections({ limit: 1000 }));
    for (const c of cols) await this.call(`delete ${c.name}`, () => this.client.deleteCollection({ name: c.name }));
    this.invalidateAll();
  }

  async heartbeat(): Promise<void> {
    await this.call('heartbeat', () => this.client.heartbeat());
  }

  /** The collection, created with its metadata on first use. */
  collection(name: CollectionName): Promise<Collection> {
    let handle = this.handles.get(name);
    if (!handle) {
      handle = this.ensureDatabase().then(() => this.call(`open collection ${name}`, () =>
        this.client.getOrCreateCollection({
          name,
          metadata: { description: COLLECTION_DESCRIPTIONS[name], owner: 'web4', embedding_model: 'all-MiniLM-L6-v2' },
          configuration: { hnsw: { space: 'cosine' } },
          embeddingFunction: null,
        }),
      ));
      // A failed open must not be cached: the next call (after Chroma is back) tries again.
      handle.catch(() => this.handles.delete(name));
      this.handles.set(name, handle);
    }
    return handle;
  }

  async upsert(name: CollectionName, chunks: readonly ChunkRecord[]): Promise<void> {
    const col = await this.collection(name);
    for (let i = 0; i < chunks.length; i += WRITE_BATCH) {
      const batch = chunks.slice(i, i + WRITE_BATCH);
      await this.call(`write to ${name}`, () =>
        col.upsert({
          ids: batch.map((c) => c.id),
          embeddings: batch.map((c) => c.embedding),
          documents: batch.map((c) => c.document),
          metadatas: batch.map((c) => c.metadata as Metadata),
        }),
      );
    }
    await this.changed(name, col);
  }

  /** Delete every chunk of these documents (by the `doc_id` metadata every chunk carries). */
  async deleteDocuments(name: CollectionName, docIds: readonly string[]): Promise<void> {
    if (docIds.length === 0) return;
    const col = await this.collection(name);
    for (let i = 0; i < docIds.length; i += 500) {
      const ids = docIds.slice(i, i + 500);
      await this.call(`delete from ${name}`, () => col.delete({ where: ids.length === 1 ? { doc_id: ids[0]! } : { doc_id: { $in: ids } } }));
    }
    await this.changed(name, col);
  }

  /**
   * Answer searches from an in-process copy of the collections from now on (long-running
   * readers: the gateway); see VectorMirror for what it guarantees. Idempotent.
   */
  mirrorVectors(options: VectorMirrorOptions): VectorMirror {
    this.mirror ??= new VectorMirror(
      {
        versions: (names) => this.versions(names),
        count: (name) => this.count(name),
        read: (name) => this.readAll(name),
      },
      COLLECTION_NAMES,
      options,
    );
    return this.mirror;
  }

  /** The mirror searches use, if any. */
  get vectorMirror(): VectorMirror | undefined {
    return this.mirror;
  }

  async close(): Promise<void> {
    await this.mirror?.close();
    this.mirror = undefined;
    this.pollAgent?.destroy();
    this.pollAgent = undefined;
  }

  /**
   * Each existing collection's version for the mirror: its id and change mark. One GET on a
   * kept-alive connection, parsed as plain JSON: through the client's listCollections the same
   * answer cost 1.35 ms of this process's CPU (it builds a Collection per entry), this 0.23 ms,
   * and the gateway pays it every refresh.
   */
  private async versions(names: readonly CollectionName[]): Promise<Map<CollectionName, string>> {
    await this.ensureDatabase();
    const path = `/api/v2/tenants/${encodeURIComponent(this.tenant)}/databases/${encodeURIComponent(this.database)}/collections?limit=1000`;
    const cols = await this.call('list collections', () => this.getJson<Array<{ id: string; name: string; metadata?: Record<string, unknown> | null }>>(path));
    const out = new Map<CollectionName, string>();
    for (const c of cols) {
      if (!(names as readonly string[]).includes(c.name)) continue;
      const name = c.name as CollectionName;
      out.set(name, `${c.id}:${String(c.metadata?.[CHANGE_MARK] ?? '')}`);
      // Dropped and made again by another process: the handle held here points at the old one.
      const held = await this.handles.get(name)?.catch(() => undefined);
      if (held && held.id !== c.id) this.handles.delete(name);
    }
    return out;
  }

  private getJson<T>(path: string): Promise<T> {
    const u = new URL(this.url);
    const https = u.protocol === 'https:';
    this.pollAgent ??= https ? new HttpsAgent({ keepAlive: true, maxSockets: 1 }) : new HttpAgent({ keepAlive: true, maxSockets: 1 });
    const send = https ? httpsRequest : httpRequest;
    return new Promise<T>((resolve, reject) => {
      const req = send({ host: u.hostname, port: u.port || (https ? 443 : 80), path, agent: this.pollAgent, timeout: 10_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) return reject(new Error(`Chroma answered ${res.statusCode} to GET ${path}: ${text.slice(0, 200)}`));
          try {
            resolve(JSON.parse(text) as T);
          } catch (error) {
            reject(error as Error);
          }
        });
      });
      req.on('timeout', () => req.destroy(new Error(`ETIMEDOUT: GET ${path} took over 10 s`)));
      req.on('error', reject);
      req.end();
    });
  }

  /** Every row of a collection, with its vector, in pages. */
  private async readAll(name: CollectionName): Promise<MirrorRows> {
    const col = await this.collection(name);
    const rows: MirrorRows = { ids: [], embeddings: [], documents: [], metadatas: [] };
    for (let offset = 0; ; offset += READ_PAGE) {
      const page = await this.call(`read ${name}`, () => col.get({ include: ['embeddings', 'documents', 'metadatas'], limit: READ_PAGE, offset }));
      page.ids.forEach((id, i) => {
        rows.ids.push(id);
        rows.embeddings.push(page.embeddings[i] ?? []);
        rows.documents.push(page.documents[i] ?? '');
        rows.metadatas.push(scalarMetadata(page.metadatas[i] ?? {}));
      });
      if (page.ids.length < READ_PAGE) return rows;
      // Let queries in between pages (parsing a page of vectors takes milliseconds).
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * After a write: a new change mark on the collection (other processes' mirrors reload it) and
   * this process's mirror takes the collection off memory until it has reloaded.
   */
  private async changed(name: CollectionName, col: Collection): Promise<void> {
    const mark = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    try {
      await this.call(`mark ${name} changed`, () => col.modify({ metadata: { ...(col.metadata ?? {}), [CHANGE_MARK]: mark } }));
    } finally {
      this.mirror?.invalidate(name);
    }
  }

  private invalidateAll(): void {
    for (const name of COLLECTION_NAMES) this.mirror?.invalidate(name);
  }

  async count(name: CollectionName): Promise<number> {
    const col = await this.collection(name);
    return this.call(`count ${name}`, () => col.count());
  }

  /** Every chunk of the given documents, with embeddings (copying buffer items to history). */
  async chunksOf(name: CollectionName, docIds: readonly string[]): Promise<ChunkRecord[]> {
    const rows = await this.rowsOfDocuments(name, docIds, ['embeddings', 'documents', 'metadatas']);
    return rows.map((r) => ({ id: r.id, embedding: r.embedding, document: r.document, metadata: r.metadata as Record<string, string | number | boolean> }));
  }

  /**
   * The text and metadata of every chunk of one document, without vectors (rebuilding a PDCA for
   * the hot cache): from the vector mirror when it holds the collection, else one Chroma read.
   */
  async textsOf(name: CollectionName, docId: string): Promise<Array<{ id: string; document: string; metadata: Record<string, MetadataValue> }>> {
    const fromMemory = this.mirror?.rowsOf(name, docId);
    if (fromMemory) return fromMemory;
    const rows = await this.rowsOfDocuments(name, [docId], ['documents', 'metadatas']);
    return rows.map((r) => ({ id: r.id, document: r.document, metadata: r.metadata }));
  }

  /** Chunk ids and metadata of the given documents, without vectors or text (consistency checks). */
  async metadataOf(name: CollectionName, docIds: readonly string[]): Promise<Array<{ id: string; metadata: Record<string, MetadataValue> }>> {
    const rows = await this.rowsOfDocuments(name, docIds, ['metadatas']);
    return rows.map((r) => ({ id: r.id, metadata: r.metadata }));
  }

  /** The chunks of these documents (by `doc_id`), 500 documents per read; what `include` leaves out is empty. */
  private async rowsOfDocuments(
    name: CollectionName,
    docIds: readonly string[],
    include: Array<'embeddings' | 'documents' | 'metadatas'>,
  ): Promise<Array<{ id: string; embedding: number[]; document: string; metadata: Record<string, MetadataValue> }>> {
    if (docIds.length === 0) return [];
    const col = await this.collection(name);
    const out: Array<{ id: string; embedding: number[]; document: string; metadata: Record<string, MetadataValue> }> = [];
    for (let i = 0; i < docIds.length; i += 500) {
      const ids = docIds.slice(i, i + 500);
      const res = await this.call(`read ${name}`, () => col.get({ where: ids.length === 1 ? { doc_id: ids[0]! } : { doc_id: { $in: ids } }, include }));
      res.ids.forEach((id, k) =>
        out.push({ id, embedding: Array.from(res.embeddings?.[k] ?? []), document: res.documents?.[k] ?? '', metadata: scalarMetadata(res.metadatas?.[k] ?? {}) }),
      );
    }
    return out;
  }

  async search(query: TierQuery): Promise<RetrievedItem[]> {
    if (!query.embedding) throw new Error('ChromaTier.search needs the query embedding');
    const embedding = query.embedding;
    const perCollection = await Promise.all(
      query.collections.map(async (name) => {
        const n = query.nResults[name] ?? 3;
        const where = PDCA_COLLECTIONS.includes(name) ? whereFromFilters(query.filters) : undefined;
        const accept = where ? (m: Record<string, MetadataValue>) => matchesFilters(m, query.filters) : undefined;
        const fromMemory = this.mirror?.search(name, embedding, n, accept);
        if (fromMemory) return fromMemory.map((hit) => toItem(name, hit.id, hit.document, hit.metadata, hit.distance));
        const col = await this.collection(name);
        const res = await this.call(`query ${name}`, () =>
          col.query({ queryEmbeddings: [embedding], nResults: n, ...(where ? { where } : {}), include: ['documents', 'metadatas', 'distances'] }),
        );
        const ids = res.ids[0] ?? [];
        return ids.map((id, i) => toItem(name, id, res.documents[0]?.[i] ?? '', scalarMetadata(res.metadatas[0]?.[i] ?? {}), res.distances[0]?.[i] ?? 1));
      }),
    );
    return perCollection.flat();
  }

  /** Whether this tier's database exists on the server (false when it would be created on first use). */
  async databaseExists(): Promise<boolean> {
    if (this.database === DEFAULT_DATABASE && this.tenant === DEFAULT_TENANT) return this.call('heartbeat', async () => (await this.client.heartbeat(), true));
    return this.call('look up database', async () => {
      try {
        await this.admin.getDatabase({ name: this.database, tenant: this.tenant });
        return true;
      } catch (error) {
        if (isConnectionFailure(error)) throw error;
        return false;
      }
    });
  }

  /** Map connection failures to a ServiceError that says which server and what to run. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.url === NO_CHROMA) {
      throw new ServiceError(`This state root has no Chroma (${what}): none is configured and its own is not running.`, {
        hint: 'Start its own with `web4 services up`, or set services.chroma.url (WEB4_SERVICES__CHROMA__URL) to a server it may share (it keeps its data in its own database there).',
        details: { service: 'chroma' },
      });
    }
    try {
      return await fn();
    } catch (cause) {
      if (isConnectionFailure(cause)) {
        // The client's message goes on about browsers and CORS; its first sentence is the news.
        const first = String((cause as Error).message ?? cause).split(/\.\s/)[0];
        throw new ServiceError(`Chroma at ${this.url} is not reachable (${what}): ${first}`, {
          hint: 'Start it with `web4 services up`, or set services.chroma.url (WEB4_SERVICES__CHROMA__URL) to a running server.',
          cause,
          details: { service: 'chroma', url: this.url },
        });
      }
      throw cause;
    }
  }
}

export function isConnectionFailure(error: unknown): boolean {
  const e = error as { name?: string; message?: string; cause?: { code?: string } } | undefined;
  if (!e) return false;
  if (e.name === 'ChromaConnectionError') return true;
  const text = `${e.message ?? ''} ${e.cause?.code ?? ''}`;
  return /ECONNREFUSED|ECONNRESET|fetch failed|socket hang up|EPIPE|ETIMEDOUT|UND_ERR/i.test(text);
}

/** Chroma filters on numbers only for ranges, so dates are also stored as YYYYMMDD integers. */
export function whereFromFilters(f: RetrievalFilters): Where | undefined {
  const clauses: Where[] = [];
  if (f.dateFrom) clauses.push({ date_num: { $gte: dateNum(f.dateFrom) } });
  if (f.dateTo) clauses.push({ date_num: { $lte: dateNum(f.dateTo) } });
  if (f.trained !== undefined) clauses.push({ trained_in_adapter: f.trained });
  if (f.minQuality !== undefined) clauses.push({ quality_score: { $gte: f.minQuality } });
  if (f.pdcaIds?.length) clauses.push({ pdca_id: { $in: f.pdcaIds } });
  if (clauses.length === 0) return undefined;
  return clauses.length === 1 ? clauses[0] : { $and: clauses };
}

/**
 * The same filters as `whereFromFilters`, on one row's metadata in memory (the vector mirror):
 * as in Chroma, a row without the key does not pass a condition on it.
 */
export function matchesFilters(m: Record<string, MetadataValue>, f: RetrievalFilters): boolean {
  const num = (v: MetadataValue | undefined): number | undefined => (typeof v === 'number' ? v : undefined);
  if (f.dateFrom && !((num(m.date_num) ?? -Infinity) >= dateNum(f.dateFrom))) return false;
  if (f.dateTo && !((num(m.date_num) ?? Infinity) <= dateNum(f.dateTo))) return false;
  if (f.trained !== undefined && m.trained_in_adapter !== f.trained) return false;
  if (f.minQuality !== undefined && !((num(m.quality_score) ?? -Infinity) >= f.minQuality)) return false;
  if (f.pdcaIds?.length && !f.pdcaIds.includes(m.pdca_id as string)) return false;
  return true;
}

/** A Chroma row as a tier-1 item: cosine distance d becomes the score 1 − d. */
function toItem(collection: CollectionName, id: string, text: string, metadata: Record<string, MetadataValue>, distance: number): RetrievedItem {
  return {
    id,
    tier: 'chroma',
    collection,
    documentId: String(metadata.doc_id ?? metadata.pdca_id ?? id.replace(/#\d+$/, '')),
    text,
    score: Math.max(0, Math.min(1, 1 - distance)),
    metadata,
  };
}

export function dateNum(day: string): number {
  return Number(day.replaceAll('-', ''));
}

function scalarMetadata(m: Record<string, unknown>): Record<string, MetadataValue> {
  const out: Record<string, MetadataValue> = {};
  for (const [k, v] of Object.entries(m)) {
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out;
}
