import { describe, expect, it } from 'vitest';
import { pdcaSections } from './pdca-sections.js';

const check = (text: string, sections?: string[]) => pdcaSections.check({ prompt: '', text, latencyMs: 0 }, sections);

const journalStyle = [
  '# 📋 **PDCA Cycle: Release Candidate Review**',
  '',
  '## **📋 PLAN**',
  'Checklist.',
  '## **🔧 DO**',
  'Went through it.',
  '## **✅ CHECK**',
  '- green',
  '## **🎯 ACT**',
  'Go.',
].join('\n');

describe('pdca-sections', () => {
  it('passes the journal style: emoji and bold in the headings, any heading level', () => {
    expect(check(journalStyle)).toEqual({ pass: true, reason: 'headings "PLAN", "DO", "CHECK", "ACT" in order (lines 3, 5, 7, 9)' });
    expect(check('### Plan\nx\n# 1. Do\n## Check: the numbers\n#### ACT ✅').pass).toBe(true);
    // Symbols that are not emoji, as the small model writes them ("✆️").
    expect(check('### **PLAN**\n# **🔧 DO**\n## **✆️ CHECK**\n## **🎯 ACT**').pass).toBe(true);
  });

  it('fails when a section is missing, and names the headings it found', () => {
    const r = check('## PLAN\n## DO\n## ACT');
    expect(r.pass).toBe(false);
    expect(r.reason).toBe('no heading for "CHECK"; headings found: "PLAN", "DO", "ACT"');
  });

  it('fails when the sections are out of order', () => {
    const r = check('## PLAN\n## CHECK\n## DO\n## ACT');
    expect(r.pass).toBe(false);
    expect(r.reason).toMatch(/heading "CHECK" \(line 2\) comes before "DO"/);
  });

  it('takes only markdown headings: bold lines, words in prose and headings in code fences do not count', () => {
    expect(check('**PLAN**\n**DO**\n**CHECK**\n**ACT**').pass).toBe(false);
    expect(check('Plan, Do, Check and Act are the phases.').pass).toBe(false);
    expect(check('## PLAN\n## DO\n```md\n## CHECK\n```\n## ACT').reason).toMatch(/no heading for "CHECK"/);
  });

  it('matches whole words: "Planned work" is not PLAN, "DONE" is not DO', () => {
    expect(check('## Planned work\n## DONE\n## CHECK\n## ACT').reason).toMatch(/no heading for "PLAN"/);
  });

  it('checks the sections given as value, e.g. the TRON feedback format', () => {
    const tron = '### **TRON Feedback (2026-11-25)**\n```quote\nMake the canary report shorter.\n```\n\n### **My Answer**\nDone.';
    expect(check(tron, ['TRON Feedback', 'My Answer']).pass).toBe(true);
    expect(check(tron, ['My Answer', 'TRON Feedback']).pass).toBe(false);
    expect(check(tron).pass).toBe(false);
  });
});
