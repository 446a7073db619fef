import type Database from 'better-sqlite3';
import type { RetrievalQuery, RetrievalTier, RetrievedItem } from '../layer3/RetrievalTier.interface.js';

export type EdgeKind = 'previous' | 'mentions-component' | 'mentions-topic' | 'trained-in';

/**
 * Relationships between PDCAs, components and TrainAI topics in two SQLite tables. A search
 * seeds from nodes whose label contains a query term and returns their one-hop neighbourhood;
 * it is deliberately simple because the vector tier already does the fuzzy matching.
 */
export class GraphTier implements RetrievalTier {
  readonly name = 'graph' as const;
  private db!: Database.Database;

  constructor() {}

  init(db: Database.Database): this {
    this.db = db;
    db.exec(`
      CREATE TABLE IF NOT EXISTS nodes (id TEXT PRIMARY KEY, kind TEXT NOT NULL, label TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS edges (src TEXT NOT NULL, dst TEXT NOT NULL, kind TEXT NOT NULL,
        PRIMARY KEY (src, dst, kind));
      CREATE INDEX IF NOT EXISTS edges_dst ON edges (dst);
    `);
    return this;
  }

  link(src: string, dst: string, kind: EdgeKind): void {
    this.db.prepare('INSERT OR IGNORE INTO edges (src, dst, kind) VALUES (?, ?, ?)').run(src, dst, kind);
  }

  async search(query: RetrievalQuery): Promise<RetrievedItem[]> {
    const terms = query.text.toLowerCase().split(/\W+/).filter((t) => t.length > 3);
    if (terms.length === 0) return [];
    const like = terms.map(() => 'lower(n.label) LIKE ?').join(' OR ');
    const rows = this.db
      .prepare(
        `SELECT e.dst AS id, e.kind AS kind, COUNT(*) AS weight FROM nodes n
         JOIN edges e ON e.src = n.id WHERE ${like} GROUP BY e.dst, e.kind ORDER BY weight DESC LIMIT ?`,
      )
      .all(...terms.map((t) => `%${t}%`), query.nResults) as { id: string; kind: string; weight: number }[];
    const top = rows[0]?.weight ?? 1;
    return rows.map((r) => ({ id: r.id, collection: 'graph', text: '', score: r.weight / top, metadata: { edge: r.kind } }));
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    const { n } = this.db.prepare('SELECT COUNT(*) AS n FROM edges').get() as { n: number };
    return { ok: true, detail: `${n} edges` };
  }
}
