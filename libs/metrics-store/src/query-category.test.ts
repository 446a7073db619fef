import { describe, expect, it } from 'vitest';
import { categorize } from './query-category.js';

describe('categorize', () => {
  it('maps every combination of the four tier flags to one of the six categories', () => {
    const counts: Record<string, number> = {};
    for (let bits = 0; bits < 16; bits++) {
      const flags = { usedHistory: !!(bits & 1), usedTools: !!(bits & 2), usedTrainai: !!(bits & 4), usedGraph: !!(bits & 8) };
      const category = categorize(flags);
      counts[category] = (counts[category] ?? 0) + 1;
      const used = [1, 2, 4, 8].filter((b) => bits & b).length;
      if (used === 0) expect(category).toBe('pure_trained');
      else if (used > 1) expect(category).toBe('multiple');
    }
    expect(counts).toEqual({ pure_trained: 1, history: 1, tools: 1, trainai: 1, graph: 1, multiple: 11 });
    expect(categorize({ usedTools: true })).toBe('tools');
    expect(categorize({ usedHistory: true })).toBe('history');
    expect(categorize({ usedTrainai: true })).toBe('trainai');
    expect(categorize({ usedGraph: true })).toBe('graph');
  });
});
