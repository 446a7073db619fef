/** Relevance judgements of one ranked list: `relevant[i]` for the i-th result, with its size. */
export interface JudgedList {
  relevant: boolean[];
  chars: number[];
  /** Distinct relevant documents found, and how many there are in all. */
  foundDocs: number;
  totalRelevantDocs: number;
}

export function precisionAtK(list: JudgedList, k: number): number {
  const top = list.relevant.slice(0, k);
  return k === 0 ? 0 : top.filter(Boolean).length / k;
}

export function recall(list: JudgedList): number | null {
  return list.totalRelevantDocs === 0 ? null : list.foundDocs / list.totalRelevantDocs;
}

export function reciprocalRank(list: JudgedList): number {
  const i = list.relevant.indexOf(true);
  return i === -1 ? 0 : 1 / (i + 1);
}

/** Characters of relevant context per character of noise; Infinity when there is no noise. */
export function contextToNoise(list: JudgedList): number {
  let context = 0;
  let noise = 0;
  list.relevant.forEach((r, i) => {
    if (r) context += list.chars[i] ?? 0;
    else noise += list.chars[i] ?? 0;
  });
  return noise === 0 ? (context === 0 ? 0 : Infinity) : context / noise;
}

export function mean(values: readonly number[]): number | null {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}
