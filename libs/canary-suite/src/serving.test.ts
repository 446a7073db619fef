import { describe, expect, it } from 'vitest';
import { formatContext, selectContext, servingMessages, servingOptions, servingPrompt } from './serving.js';

const item = (documentId: string, score: number, text = 'x'.repeat(10)) => ({ documentId, score, text, tier: 'vector', collection: 'pdca_historical' });

describe('serving: the prompt web4 ask, the canaries and the morning check share', () => {
  it('selectContext keeps fused order, skips items under the floor (a strong one after a weak one still counts), and keeps to the budgets', () => {
    const serving = { minContextScore: 0.5, maxContextItems: 2, maxContextChars: 25 };
    expect(selectContext(serving, [item('weak', 0.2), item('a', 0.9), item('b', 0.6), item('c', 0.7)]).map((i) => i.documentId)).toEqual(['a', 'b']);
    // Over the character budget: skipped, but a later short one fits.
    expect(selectContext({ ...serving, maxContextItems: 4 }, [item('a', 0.9), item('long', 0.9, 'y'.repeat(30)), item('b', 0.9)]).map((i) => i.documentId)).toEqual(['a', 'b']);
    // The first item is kept even when it alone is over the budget.
    expect(selectContext(serving, [item('long', 0.9, 'y'.repeat(30))]).map((i) => i.documentId)).toEqual(['long']);
  });

  it('the prompt and messages: context then question, the system prompt first; no context: the question alone', () => {
    const context = formatContext([item('2026-11-25-a.md', 0.9, 'first'), { ...item('tool.md', 0.8, 'second'), collection: undefined, tier: 'graph' }]);
    expect(context).toBe('[1] (pdca_historical: 2026-11-25-a.md)\nfirst\n\n[2] (graph: tool.md)\nsecond');
    expect(servingPrompt('Why?', context)).toBe(`Context:\n${context}\n\nQuestion: Why?`);
    expect(servingPrompt('Why?', formatContext([]))).toBe('Why?');
    expect(servingMessages('Why?', { system: 'Be brief.', context: 'facts' })).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Context:\nfacts\n\nQuestion: Why?' },
    ]);
    expect(servingMessages('Why?')).toEqual([{ role: 'user', content: 'Why?' }]);
    expect(servingOptions(200)).toEqual({ temperature: 0, num_predict: 200 });
    expect(servingOptions(256, { seed: 42, num_predict: 16 })).toEqual({ temperature: 0, num_predict: 16, seed: 42 });
  });
});
