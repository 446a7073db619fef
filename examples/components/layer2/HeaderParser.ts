import type { PDCAHeader, PDCASectionName } from '../layer3/PDCADocument.interface.js';

const KEY_LINE = /^\*\*(?:\p{Extended_Pictographic}\uFE0F?\s*)?([^:*]+):\*\*\s*(.*)$/u;
const SECTION = /^##\s+\*\*\s*(?:\p{Extended_Pictographic}\uFE0F?\s*)?(PLAN|DO|CHECK|ACT)\b/iu;
const DATE_VALUE = /(\d{4})-(\d{2})-(\d{2})-UTC-(\d{4})/;
const MARKDOWN_LINK = /\[[^\]]*\]\(([^)]+)\)/;

/**
 * Reads the bold key/value header and the four PDCA sections. Unknown keys are ignored rather
 * than rejected: journals from older template versions carry keys like "Sprint" or "Branch"
 * and they must still index.
 */
export class HeaderParser {
  constructor() {}

  parseHeader(text: string, dayFromName?: string): PDCAHeader {
    const lines = text.split(/\r?\n/);
    const titleLine = lines.find((l) => l.startsWith('# ')) ?? '';
    const header: PDCAHeader = { title: titleLine.replace(/^#\s*/, '').replace(/\*\*/g, '').trim(), day: dayFromName ?? '' };
    for (const line of lines.slice(0, 40)) {
      const m = KEY_LINE.exec(line.trim());
      if (!m) continue;
      const key = m[1]!.trim().toLowerCase();
      const value = m[2]!.trim();
      if (key === 'date') {
        const d = DATE_VALUE.exec(value);
        if (d) {
          header.day ||= `${d[1]}-${d[2]}-${d[3]}`;
          header.time = d[4];
        }
      } else if (key === 'objective') header.objective = value;
      else if (key.endsWith('role')) header.role = value;
      else if (key === 'issues') header.issues = value;
      else if (key === 'last commit sha') header.lastCommitSha = value.split(/\s/)[0];
      else if (key === 'previous pdca') header.previous = MARKDOWN_LINK.exec(value)?.[1];
    }
    if (!header.day) throw new Error('no date: neither the file name nor the Date line carries YYYY-MM-DD');
    return header;
  }

  parseSections(text: string): Partial<Record<PDCASectionName, string>> {
    const sections: Partial<Record<PDCASectionName, string>> = {};
    let current: PDCASectionName | undefined;
    let buffer: string[] = [];
    const flush = () => {
      if (current) sections[current] = buffer.join('\n').trim();
      buffer = [];
    };
    for (const line of text.split(/\r?\n/)) {
      const m = SECTION.exec(line);
      if (m) {
        flush();
        current = m[1]!.toLowerCase() as PDCASectionName;
      } else if (current) buffer.push(line);
    }
    flush();
    return sections;
  }
}
