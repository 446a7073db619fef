import { describe, expect, it } from 'vitest';
import { parsePdca, sectionAt } from './pdca-parser.js';
import { qualityScore } from './quality-score.js';
import { detectTopics } from './trainai-topics.js';

const PDCA = `# 📋 **PDCA Cycle: Chunker Drops the Tail**

**🗓️ Date:** 2026-11-12-UTC-0930
**🎯 Objective:** Index the whole document
**👤 Role:** Developer
**🔗 Previous PDCA:** [GitHub](https://example.invalid/x.md) | [§/journal/prev.md](../prev/2026-11-11-UTC-1000-prev.md)

---

## **📋 PLAN**
Plan text about the pdca cycle and the OverlapChunker.

## **🔧 DO**
Did it.

## **✅ CHECK**
Checked.

## **🎯 ACT**
Acted.
`;

describe('parsePdca', () => {
  it('reads title, header, date, previous link and the four phases', () => {
    const p = parsePdca(PDCA, 'fallback');
    expect(p.title).toBe('PDCA Cycle: Chunker Drops the Tail');
    expect(p.header.objective).toBe('Index the whole document');
    expect(p.headerDate).toBe('2026-11-12');
    expect(p.previousLink).toBe('../prev/2026-11-11-UTC-1000-prev.md');
    expect(p.sections.map((s) => s.name)).toEqual(['PLAN', 'DO', 'CHECK', 'ACT']);
    expect(sectionAt(p, PDCA.indexOf('Acted'))).toBe('ACT');
    expect(sectionAt(p, 10)).toBe('HEADER');
  });

  it('scores completeness and falls back on a missing title', () => {
    const p = parsePdca(PDCA, 'fallback');
    expect(qualityScore(p, PDCA)).toBe(0.9);
    const bare = parsePdca('just text', 'file.md');
    expect(bare.title).toBe('file.md');
    expect(qualityScore(bare, 'just text')).toBe(0);
  });

  it('detects TrainAI topics by id, title or two keywords', () => {
    const topics = [
      { id: 'pdca-cycle', title: 'Working in PDCA Cycles', keywords: ['pdca cycle', 'plan do check act'] },
      { id: 'dry-principle', title: 'Do not repeat yourself', keywords: ['dry', 'duplication'] },
    ];
    expect(detectTopics(PDCA, topics)).toEqual([]);
    expect(detectTopics('we follow the pdca cycle: plan do check act', topics)).toEqual(['pdca-cycle']);
    expect(detectTopics('see dry-principle', topics)).toEqual(['dry-principle']);
  });
});
