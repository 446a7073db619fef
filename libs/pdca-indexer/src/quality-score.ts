import type { ParsedPdca } from './pdca-parser.js';

/**
 * A 0..1 score of how complete a PDCA is, stored with every chunk so retrieval and training can
 * prefer complete ones: the four phases (0.15 each), the header facts (objective, date,
 * previous PDCA: 0.1 each) and enough substance (0.1 over 1,500 characters).
 */
export function qualityScore(parsed: ParsedPdca, text: string): number {
  let score = 0;
  for (const phase of ['PLAN', 'DO', 'CHECK', 'ACT']) if (parsed.sections.some((s) => s.name === phase)) score += 0.15;
  if (parsed.header.objective) score += 0.1;
  if (parsed.headerDate) score += 0.1;
  if (parsed.previousLink) score += 0.1;
  if (text.length >= 1500) score += 0.1;
  return Math.round(score * 100) / 100;
}
