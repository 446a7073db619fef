import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { InputError } from '@web4/core';
import type { TierName } from '../types.js';

export const GATEWAY_TIERS: readonly TierName[] = ['tools', 'history', 'trainai', 'graph'];

/** One labelled question: should the trained model answer alone, or with which tiers' context. */
export interface RoutingExample {
  /** 1-based position in the file, for messages. */
  entry: number;
  query: string;
  retrieve: boolean;
  /** Tiers that hold the answer (empty when `retrieve` is false). */
  tiers: TierName[];
}

export interface RoutingExampleSet {
  file: string;
  /** sha256 of the file's bytes: what an embedding cache is keyed by. */
  hash: string;
  examples: RoutingExample[];
}

/**
 * Read the labelled routing examples (examples/routing/examples.yaml): a list, or
 * `{ examples: [...] }`, of `{ q | query, retrieve: true|false, tiers?: [tools|history|trainai|graph] }`.
 * Every fault names the file and the entry, so the person editing it knows where to look.
 */
export function loadRoutingExamples(file: string): RoutingExampleSet {
  if (!existsSync(file)) {
    throw new InputError(`The routing examples file ${file} does not exist.`, {
      hint: 'Create it (see examples/routing/examples.yaml for the format), or point gateway.routing.examples at it, or set gateway.routing.mode to "always" or "never".',
    });
  }
  const bytes = readFileSync(file);
  let doc: unknown;
  try {
    doc = parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new InputError(`${file} is not valid YAML: ${(cause as Error).message}`, { hint: 'Fix the YAML syntax at the line named.', cause });
  }
  const list = Array.isArray(doc) ? doc : (doc as { examples?: unknown } | null)?.examples;
  if (!Array.isArray(list) || list.length === 0) {
    throw new InputError(`${file} holds no routing examples.`, { hint: 'Write an `examples:` list of { q, retrieve, tiers } entries.' });
  }
  const seen = new Map<string, number>();
  const examples = list.map((raw, i): RoutingExample => {
    const entry = i + 1;
    const where = `Routing example #${entry} in ${file}`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new InputError(`${where} is not a mapping: ${JSON.stringify(raw)}.`, { hint: 'Write it as { q: "…", retrieve: true|false, tiers: [...] }.' });
    const o = raw as Record<string, unknown>;
    const q = o.q ?? o.query;
    const query = typeof q === 'string' ? q.trim() : '';
    if (!query) throw new InputError(`${where} has no question text ("q").`, { hint: 'Give each entry the question as `q: "…"`.' });
    const quoted = `${where} ("${query.slice(0, 60)}")`;
    if (typeof o.retrieve !== 'boolean') {
      throw new InputError(`${quoted} has retrieve: ${JSON.stringify(o.retrieve)}; it must be true or false.`, { hint: 'retrieve: false = the trained model answers alone; true = retrieve from the listed tiers.' });
    }
    const rawTiers = o.tiers ?? [];
    if (!Array.isArray(rawTiers)) throw new InputError(`${quoted} has tiers: ${JSON.stringify(rawTiers)}; it must be a list.`, { hint: `Use a list of ${GATEWAY_TIERS.join(', ')}.` });
    const bad = rawTiers.filter((t) => !(GATEWAY_TIERS as readonly unknown[]).includes(t));
    if (bad.length) throw new InputError(`${quoted} names unknown tier(s): ${bad.map((b) => JSON.stringify(b)).join(', ')}.`, { hint: `Use ${GATEWAY_TIERS.join(', ')}.` });
    const tiers = GATEWAY_TIERS.filter((t) => rawTiers.includes(t));
    if (o.retrieve && tiers.length === 0) throw new InputError(`${quoted} says retrieve: true but lists no tiers.`, { hint: `Add tiers: [${GATEWAY_TIERS.join(' | ')}].` });
    if (!o.retrieve && tiers.length > 0) throw new InputError(`${quoted} says retrieve: false but lists tiers ${tiers.join(', ')}.`, { hint: 'Remove the tiers, or set retrieve: true.' });
    const key = normalise(query);
    const before = seen.get(key);
    if (before !== undefined) throw new InputError(`${quoted} repeats routing example #${before}.`, { hint: 'Remove one of the two: a repeated question would be both trained on and measured.' });
    seen.set(key, entry);
    return { entry, query, retrieve: o.retrieve, tiers };
  });
  return { file, hash: createHash('sha256').update(bytes).digest('hex'), examples };
}

export interface ExampleSplit {
  train: RoutingExample[];
  holdout: RoutingExample[];
}

/** The split's seed: fixed, so the held-out part is the same on every run and machine. */
export const SPLIT_SEED = 'web4-routing-v1';

/**
 * Keep `holdoutShare` of the examples out of training, per label (retrieve or not), chosen by a
 * seeded hash. Near-duplicates (word-set Jaccard ≥ `nearDuplicate`) are grouped first and a group
 * goes to one side whole, so the held-out accuracy is never measured on a question that was
 * trained on in other words.
 */
export function splitExamples(examples: readonly RoutingExample[], holdoutShare: number, options: { seed?: string; nearDuplicate?: number } = {}): ExampleSplit {
  if (!(holdoutShare > 0 && holdoutShare < 1)) throw new InputError(`holdoutShare must be between 0 and 1, got ${holdoutShare}.`);
  const seed = options.seed ?? SPLIT_SEED;
  const groups = nearDuplicateGroups(examples, options.nearDuplicate ?? 0.6);
  const train: RoutingExample[] = [];
  const holdout: RoutingExample[] = [];
  for (const label of [false, true]) {
    const mine = groups.filter((g) => g[0]!.retrieve === label);
    const total = mine.reduce((n, g) => n + g.length, 0);
    const want = Math.round(total * holdoutShare);
    const order = mine
      .map((g) => ({ g, rank: createHash('sha256').update(`${seed}\n${normalise(g[0]!.query)}`).digest('hex') }))
      .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
    let held = 0;
    for (const { g } of order) {
      if (held < want && held + g.length <= want + 1) {
        holdout.push(...g);
        held += g.length;
      } else train.push(...g);
    }
  }
  const byEntry = (a: RoutingExample, b: RoutingExample) => a.entry - b.entry;
  return { train: train.sort(byEntry), holdout: holdout.sort(byEntry) };
}

/** Groups of near-duplicate questions (connected by word-set Jaccard ≥ threshold); labels never mix within one. */
export function nearDuplicateGroups(examples: readonly RoutingExample[], threshold: number): RoutingExample[][] {
  const words = examples.map((e) => wordSet(e.query));
  const parent = examples.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  for (let i = 0; i < examples.length; i++) {
    for (let j = i + 1; j < examples.length; j++) {
      // A pair with different labels stays apart: the label is what the split stratifies on.
      if (examples[i]!.retrieve !== examples[j]!.retrieve) continue;
      if (jaccard(words[i]!, words[j]!) >= threshold) parent[find(i)] = find(j);
    }
  }
  const groups = new Map<number, RoutingExample[]>();
  examples.forEach((e, i) => {
    const root = find(i);
    groups.set(root, [...(groups.get(root) ?? []), e]);
  });
  return [...groups.values()];
}

export function wordSet(text: string): Set<string> {
  return new Set(normalise(text).split(' ').filter((w) => w.length > 2));
}

export function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let both = 0;
  for (const w of a) if (b.has(w)) both++;
  return both / (a.size + b.size - both);
}

function normalise(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
}
