import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { InputError } from '@web4/core';
import { isCollectionName, type CollectionName } from '../collections.js';

/** One labelled query: what a person asks, and the documents that answer it. */
export interface LabelledQuery {
  query: string;
  relevant: RelevantDocument[];
}

export interface RelevantDocument {
  /** When given, the document counts only in this collection. */
  collection?: CollectionName;
  /** A document id, a path under the corpus folder, or a file name (with or without extension). */
  ref: string;
}

/**
 * Read the labelled query set (examples/queries/relevance.yaml). Accepted shapes: a list, or
 * `{ queries: [...] }`, of `{ query, relevant }` where `relevant` is a list of
 * `"id-or-path" | { collection, id | doc | path | file }`, or a map `{ <collection>: [ids or paths] }`.
 */
export function loadRelevanceSet(file: string): LabelledQuery[] {
  if (!existsSync(file)) {
    throw new InputError(`The labelled query set ${file} does not exist.`, {
      hint: 'Create it (see examples/queries/relevance.yaml for the format) or set rag.relevanceSet in web4.config.json.',
    });
  }
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new InputError(`${file} is not valid YAML: ${(cause as Error).message}`, { hint: 'Fix the YAML syntax at the line named.' });
  }
  const list = Array.isArray(doc) ? doc : (doc as { queries?: unknown })?.queries;
  if (!Array.isArray(list) || list.length === 0) {
    throw new InputError(`${file} holds no queries.`, { hint: 'Write a `queries:` list of { query, relevant: [...] } entries.' });
  }
  return list.map((raw, i) => {
    const q = raw as Record<string, unknown>;
    const query = typeof q.query === 'string' ? q.query.trim() : '';
    let rel = (q.relevant ?? q.relevant_docs ?? q.docs) as unknown;
    // `relevant: { collection: [refs] }` is the same as a list of { collection, id }.
    if (rel && typeof rel === 'object' && !Array.isArray(rel)) {
      rel = Object.entries(rel as Record<string, unknown>).flatMap(([collection, refs]) =>
        (Array.isArray(refs) ? refs : [refs]).map((ref) => ({ collection, id: String(ref) })),
      );
    }
    if (!query || !Array.isArray(rel) || rel.length === 0) {
      throw new InputError(`Query #${i + 1} in ${file} needs a "query" text and a non-empty "relevant" list.`);
    }
    return {
      query,
      relevant: rel.map((r, j): RelevantDocument => {
        if (typeof r === 'string') return { ref: r };
        const o = r as Record<string, unknown>;
        const ref = String(o.id ?? o.doc ?? o.doc_id ?? o.pdca_id ?? o.path ?? o.file ?? '');
        if (!ref) throw new InputError(`Query #${i + 1}, relevant #${j + 1} in ${file} names no document (id, doc, path or file).`);
        const collection = o.collection === undefined ? undefined : String(o.collection);
        if (collection !== undefined && !isCollectionName(collection)) {
          throw new InputError(`Query #${i + 1} in ${file} names an unknown collection "${collection}".`);
        }
        return collection ? { ref, collection } : { ref };
      }),
    };
  });
}

/** Does a retrieved document (id and path) match a labelled reference? */
export function matchesRef(ref: string, docId: string, path: string | undefined): boolean {
  const norm = (s: string) => s.replace(/\\/g, '/').replace(/\.pdca\.md$|\.md$/i, '').toLowerCase();
  const r = norm(ref);
  const candidates = [norm(docId), path ? norm(path) : ''].filter((c) => c !== '');
  // A reference with a folder must match as a path suffix; a bare name matches the file name.
  if (r.includes('/')) return candidates.some((c) => c === r || c.endsWith('/' + r) || r.endsWith('/' + c));
  return candidates.some((c) => c === r || c.split('/').pop() === r);
}
