/** A PDCA split into what the indexer needs: title, header fields, date, link, sections. */
export interface ParsedPdca {
  title: string;
  /** Header key/value lines (`**🗓️ Date:** 2025-08-20-UTC-0635`), keys lower-cased. */
  header: Record<string, string>;
  /** `YYYY-MM-DD` from the header's Date line, or null. */
  headerDate: string | null;
  /** Relative link target of the `Previous PDCA` header line, when there is one. */
  previousLink: string | null;
  sections: PdcaSection[];
}

export interface PdcaSection {
  /** PLAN, DO, CHECK, ACT, or the heading text of any other level-2 section. */
  name: string;
  start: number;
}

const HEADER_LINE = /^\*\*\s*(?:[^\p{L}\p{N}\s]+\s*)*([\p{L}][\p{L}\p{N} ]*?)\s*:\s*\*\*\s*(.*)$/u;
const SECTION = /^#{1,3}\s+(.*)$/;
const PHASES = ['PLAN', 'DO', 'CHECK', 'ACT'] as const;

export function parsePdca(text: string, fallbackTitle: string): ParsedPdca {
  const lines = text.split('\n');
  const header: Record<string, string> = {};
  const sections: PdcaSection[] = [];
  let title = '';
  let offset = 0;
  for (const raw of lines) {
    const line = raw.replace(/\r$/, '');
    const h = HEADER_LINE.exec(line.trim());
    if (h && sections.length === 0) {
      const key = h[1]!.toLowerCase().trim();
      if (!(key in header)) header[key] = h[2]!.trim();
    }
    const s = SECTION.exec(line);
    if (s) {
      const heading = cleanHeading(s[1]!);
      if (!title && line.startsWith('# ')) title = heading;
      else if (line.startsWith('## ')) {
        const phase = PHASES.find((p) => new RegExp(`\\b${p}\\b`).test(heading.toUpperCase()));
        sections.push({ name: phase ?? heading, start: offset });
      }
    }
    offset += raw.length + 1;
  }
  return {
    title: title || fallbackTitle,
    header,
    headerDate: dateOf(header.date),
    previousLink: linkOf(header['previous pdca']),
    sections,
  };
}

/** The section holding a character offset (for chunk metadata). */
export function sectionAt(parsed: ParsedPdca, offset: number): string {
  let name = 'HEADER';
  for (const s of parsed.sections) if (s.start <= offset) name = s.name;
  return name;
}

function cleanHeading(text: string): string {
  return text
    .replace(/\*\*/g, '')
    .replace(/[^\p{L}\p{N}\s:.,()/&+'’-]/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function dateOf(value: string | undefined): string | null {
  const m = value ? /(\d{4})-(\d{2})-(\d{2})/.exec(value) : null;
  return m ? `${m[1]}-${m[2]}-${m[3]}` : null;
}

/** The last Markdown link target on the line whose target is a relative .md path. */
function linkOf(value: string | undefined): string | null {
  if (!value) return null;
  const targets = [...value.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:\/\//i.test(t) && t.endsWith('.md'));
  return targets.length ? targets[targets.length - 1]! : null;
}
