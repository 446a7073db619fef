import type { Kysely } from 'kysely';
import type Database from 'better-sqlite3';
import { SqliteFile } from '@web4/storage';
import type { CollectionName } from './collections.js';
import { graphMigrations } from './migrations/graph/index.js';
import type { RetrievalTier, RetrievedItem, TierQuery } from './retrieval-tier.js';
import type { TierFileOptions } from './tier-file-options.js';

export type NodeKind = 'pdca' | 'component' | 'topic' | 'batch';
/** previous: PDCA → previous PDCA; component: PDCA → component; topic: PDCA → TrainAI topic; trained_in: item → batch. */
export type EdgeKind = 'previous' | 'component' | 'topic' | 'trained_in';

export interface GraphNode {
  id: string;
  kind: NodeKind;
  label: string;
  /** The Chroma collection holding the node's text, when it has one. */
  collection: CollectionName | null;
}

export interface GraphEdge {
  src: string;
  dst: string;
  kind: EdgeKind;
}

export interface GraphDatabase {
  nodes: { id: string; kind: string; label: string; collection: string | null };
  edges: { src: string; dst: string; kind: string };
}

/** Node ids are `kind:key`, so a PDCA and a component with the same name never collide. */
export function nodeId(kind: NodeKind, key: string): string {
  return `${kind}:${key}`;
}

/**
 * Tier 2: relationships in SQLite. As a retrieval tier it expands around what the vector tier
 * found (the PDCA before it, its components and topics) and around components or topics the
 * query names.
 */
export class GraphTier implements RetrievalTier {
  readonly name = 'graph' as const;
  readonly db: Kysely<GraphDatabase>;
  private readonly raw: Database.Database;

  private constructor(private readonly file: SqliteFile<GraphDatabase>) {
    this.db = file.db;
    this.raw = file.handle;
  }

  /** Open (and create or migrate) the graph file: `src/migrations/graph/`, busy timeout `monitoring.busyTimeoutMs`. */
  static open(path: string, options: TierFileOptions = {}): GraphTier {
    return new GraphTier(
      SqliteFile.open<GraphDatabase>(path, graphMigrations, {
        ...options,
        label: 'graph',
        setting: 'rag.graphDb',
        recreate: '`web4 index corpus` rebuilds it',
      }),
    );
  }

  upsertNodes(nodes: readonly GraphNode[]): void {
    const stmt = this.raw.prepare(
      'INSERT INTO nodes (id, kind, label, collection) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, label = excluded.label, collection = COALESCE(excluded.collection, nodes.collection)',
    );
    this.raw.transaction(() => {
      for (const n of nodes) stmt.run(n.id, n.kind, n.label, n.collection);
    })();
  }

  /**
   * Replace the outgoing edges of `src` of the given kinds: a re-indexed PDCA whose links
   * changed must not keep its old ones. Targets that are not yet nodes get a placeholder node.
   */
  replaceOutgoing(src: string, kinds: readonly EdgeKind[], edges: readonly GraphEdge[]): void {
    const del = kinds.length ? this.raw.prepare(`DELETE FROM edges WHERE src = ? AND kind IN (${kinds.map(() => '?').join(',')})`) : undefined;
    this.raw.transaction(() => {
      del?.run(src, ...kinds);
      this.insertEdges(edges);
    })();
  }

  /** Add edges; endpoints that are not yet nodes get a placeholder node (kind from the id). */
  addEdges(edges: readonly GraphEdge[]): void {
    this.raw.transaction(() => this.insertEdges(edges))();
  }

  private insertEdges(edges: readonly GraphEdge[]): void {
    const ins = this.raw.prepare('INSERT OR IGNORE INTO edges (src, dst, kind) VALUES (?, ?, ?)');
    const placeholder = this.raw.prepare('INSERT OR IGNORE INTO nodes (id, kind, label, collection) VALUES (?, ?, ?, NULL)');
    for (const e of edges) {
      for (const id of [e.src, e.dst]) {
        const [kind, ...rest] = id.split(':');
        placeholder.run(id, kind, rest.join(':'));
      }
      ins.run(e.src, e.dst, e.kind);
    }
  }

  async node(id: string): Promise<GraphNode | undefined> {
    const row = await this.db.selectFrom('nodes').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toNode(row) : undefined;
  }

  async nodesOfKind(kind: NodeKind): Promise<GraphNode[]> {
    return (await this.db.selectFrom('nodes').selectAll().where('kind', '=', kind).execute()).map(toNode);
  }

  /**
   * Nodes within `depth` hops of `start`, following edges both ways (a topic's neighbours are
   * the PDCAs about it). Returns the nodes (without `start`) with their hop distance, and the edges walked.
   */
  async neighbourhood(
    start: string,
    options: { depth?: number; kinds?: readonly EdgeKind[] } = {},
  ): Promise<{ nodes: Array<GraphNode & { hops: number }>; edges: GraphEdge[] }> {
    const depth = options.depth ?? 1;
    const seen = new Map<string, number>([[start, 0]]);
    const edges: GraphEdge[] = [];
    let frontier = [start];
    for (let hop = 1; hop <= depth && frontier.length > 0; hop++) {
      let q = this.db.selectFrom('edges').selectAll().where((eb) => eb.or([eb('src', 'in', frontier), eb('dst', 'in', frontier)]));
      if (options.kinds?.length) q = q.where('kind', 'in', options.kinds as EdgeKind[]);
      const rows = await q.execute();
      const next: string[] = [];
      for (const r of rows) {
        edges.push({ src: r.src, dst: r.dst, kind: r.kind as EdgeKind });
        for (const id of [r.src, r.dst]) {
          if (!seen.has(id)) {
            seen.set(id, hop);
            next.push(id);
          }
        }
      }
      frontier = next;
    }
    seen.delete(start);
    const ids = [...seen.keys()];
    const nodes = ids.length ? await this.db.selectFrom('nodes').selectAll().where('id', 'in', ids).execute() : [];
    return { nodes: nodes.map((n) => ({ ...toNode(n), hops: seen.get(n.id)! })), edges };
  }

  async counts(): Promise<{ nodes: Record<string, number>; edges: Record<string, number> }> {
    const n = await this.db.selectFrom('nodes').select(['kind', (eb) => eb.fn.countAll<number>().as('c')]).groupBy('kind').execute();
    const e = await this.db.selectFrom('edges').select(['kind', (eb) => eb.fn.countAll<number>().as('c')]).groupBy('kind').execute();
    return {
      nodes: Object.fromEntries(n.map((r) => [r.kind, Number(r.c)])),
      edges: Object.fromEntries(e.map((r) => [r.kind, Number(r.c)])),
    };
  }

  /** Remove a document's node and every edge touching it (metadata clean-up). */
  removeNode(id: string): void {
    this.raw.transaction(() => {
      this.raw.prepare('DELETE FROM edges WHERE src = ? OR dst = ?').run(id, id);
      this.raw.prepare('DELETE FROM nodes WHERE id = ?').run(id);
    })();
  }

  async search(query: TierQuery): Promise<RetrievedItem[]> {
    const limit = Math.max(query.nResults.pdca_historical ?? 3, 3);
    const starts = new Map<string, number>();
    for (const seed of query.seeds) {
      if (seed.collection === 'pdca_historical' || seed.collection === 'daily_buffer') {
        const id = nodeId('pdca', seed.documentId);
        starts.set(id, Math.max(starts.get(id) ?? 0, seed.score));
      }
    }
    // Components and topics named in the query are starting points of their own.
    const lower = query.text.toLowerCase();
    const named = await this.db
      .selectFrom('nodes')
      .selectAll()
      .where('kind', 'in', ['component', 'topic'])
      .execute();
    for (const n of named) {
      if (n.label.length >= 4 && lower.includes(n.label.toLowerCase())) starts.set(n.id, Math.max(starts.get(n.id) ?? 0, 0.7));
    }
    const found = new Map<string, RetrievedItem>();
    const seedIds = new Set(query.seeds.map((s) => s.documentId));
    for (const [start, startScore] of starts) {
      const { nodes, edges } = await this.neighbourhood(start, { depth: 1 });
      for (const n of nodes) {
        if (n.kind === 'batch') continue;
        const key = n.id.slice(n.id.indexOf(':') + 1);
        if (seedIds.has(key)) continue;
        const via = edges.find((e) => e.src === n.id || e.dst === n.id);
        const score = startScore * 0.8;
        const prev = found.get(n.id);
        if (prev && prev.score >= score) continue;
        found.set(n.id, {
          id: `graph:${n.id}`,
          tier: 'graph',
          ...(n.collection ? { collection: n.collection } : {}),
          documentId: key,
          text: `${n.kind} ${n.label} (${via?.kind ?? 'related'} of ${start})`,
          score,
          metadata: { node_kind: n.kind, relation: via?.kind ?? null, from: start },
        });
      }
    }
    return [...found.values()].sort((a, b) => b.score - a.score).slice(0, limit);
  }

  async close(): Promise<void> {
    await this.file.destroy();
  }
}

function toNode(r: GraphDatabase['nodes']): GraphNode {
  return { id: r.id, kind: r.kind as NodeKind, label: r.label, collection: (r.collection as CollectionName | null) ?? null };
}
