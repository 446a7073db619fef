import { quoteAll, textOrTexts } from './text-values.js';
import { defineAssertion } from './types.js';

const DEFAULT_SECTIONS = ['PLAN', 'DO', 'CHECK', 'ACT'];
const HEADING = /^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$/;
const FENCE = /^ {0,3}(```|~~~)/;

/** A heading's words: without bold/italic/code marks and without the emoji, symbols or numbering before them. */
function headingWords(raw: string): string {
  return raw
    .replace(/[*_`]/g, '')
    .replace(/^[^\p{L}\p{N}]+/u, '')
    .replace(/^\d+[.)]?\s+/, '')
    .replace(/^[^\p{L}\p{N}]+/u, '')
    .trim();
}

/** The markdown headings of a text (not those inside code fences), with their line numbers. */
function headings(text: string): Array<{ line: number; words: string }> {
  const found: Array<{ line: number; words: string }> = [];
  let inFence = false;
  for (const [i, line] of text.split('\n').entries()) {
    if (FENCE.test(line)) inFence = !inFence;
    else if (!inFence) {
      const m = HEADING.exec(line);
      if (m) found.push({ line: i + 1, words: headingWords(m[1]!) });
    }
  }
  return found;
}

/** A heading names a section when its words start with the section's name as whole words ("PLAN", "Plan: …", "TRON Feedback (2026-11-25)"). */
const names = (words: string, section: string) => words.toLowerCase().startsWith(section.toLowerCase()) && !/^[\p{L}\p{N}]/u.test(words.slice(section.length));

/**
 * The answer has the PDCA sections as markdown headings, in order: `## PLAN` … `## ACT`, with
 * emoji and bold allowed (`## **📋 PLAN**`), any case. A value lists other sections to require,
 * e.g. `[TRON Feedback, My Answer]`.
 */
export const pdcaSections = defineAssertion({
  name: 'pdca-sections',
  value: textOrTexts.optional().describe('a list of section names, e.g. [PLAN, DO, CHECK, ACT]'),
  check: (answer, value) => {
    const sections = value ?? DEFAULT_SECTIONS;
    const all = headings(answer.text);
    const lines: number[] = [];
    let from = 0;
    for (const section of sections) {
      const at = all.findIndex((h, i) => i >= from && names(h.words, section));
      if (at === -1) {
        const earlier = all.find((h) => names(h.words, section));
        const previous = sections[lines.length - 1];
        return {
          pass: false,
          reason: earlier
            ? `heading ${JSON.stringify(section)} (line ${earlier.line}) comes before ${JSON.stringify(previous)}; expected order ${quoteAll(sections)}`
            : `no heading for ${JSON.stringify(section)}; headings found: ${all.length ? all.map((h) => JSON.stringify(h.words)).join(', ') : 'none'}`,
        };
      }
      lines.push(all[at]!.line);
      from = at + 1;
    }
    return { pass: true, reason: `headings ${quoteAll(sections)} in order (lines ${lines.join(', ')})` };
  },
});
