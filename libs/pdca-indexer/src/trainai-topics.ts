import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { InputError } from '@web4/core';

/** One of the TrainAI topics of the process framework. */
export interface TrainAiTopic {
  id: string;
  title: string;
  /** Words or phrases that mark a PDCA as being about the topic (lower case). */
  keywords: string[];
}

/**
 * Read the topic catalogue (`topics.yaml`): a list, or `{ topics: [...] }`, of entries with an
 * id (or slug/name), a title, and keywords (or tags). A missing file means no topics.
 */
export function loadTopics(file: string): TrainAiTopic[] {
  if (!existsSync(file)) return [];
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new InputError(`The TrainAI topic file ${file} is not valid YAML: ${(cause as Error).message}`, { hint: 'Fix the YAML syntax.' });
  }
  const list = Array.isArray(doc) ? doc : Array.isArray((doc as { topics?: unknown })?.topics) ? (doc as { topics: unknown[] }).topics : null;
  if (!list) throw new InputError(`The TrainAI topic file ${file} must hold a list of topics (or a "topics:" list).`);
  return list.map((raw, i) => {
    const t = raw as Record<string, unknown>;
    const id = String(t.id ?? t.slug ?? t.name ?? '');
    if (!id) throw new InputError(`Topic #${i + 1} in ${file} has no id.`, { hint: 'Give every topic an `id:`.' });
    const title = String(t.title ?? t.name ?? id);
    const words = (t.keywords ?? t.tags ?? []) as unknown;
    const keywords = (Array.isArray(words) ? words.map(String) : []).map((k) => k.toLowerCase()).filter(Boolean);
    return { id, title, keywords: keywords.length ? keywords : [title.toLowerCase()] };
  });
}

/**
 * Topics a document is about: its id or title is named, or at least two of its keywords occur
 * (one keyword alone is too weak a signal in a long PDCA).
 */
export function detectTopics(text: string, topics: readonly TrainAiTopic[]): string[] {
  const lower = text.toLowerCase();
  const found: string[] = [];
  for (const t of topics) {
    const named = lower.includes(t.id.toLowerCase()) || lower.includes(t.title.toLowerCase());
    const hits = t.keywords.filter((k) => lower.includes(k)).length;
    if (named || hits >= Math.min(2, t.keywords.length)) found.push(t.id);
  }
  return found;
}
