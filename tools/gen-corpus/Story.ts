/**
 * One hand-written PDCA of the example journal, before it is rendered to markdown. The stories
 * carry the content; `renderStory` adds the header, the separators and the Previous PDCA link,
 * so every entry follows the same template without the text being copy-pasted.
 */
export type NamingStyle = 'dashed' | 'compact' | 'undated';

export interface Story {
  /** ISO day of the entry, e.g. 2026-11-12. */
  day: string;
  /** UTC time HHMM. */
  time: string;
  /** Session folder under the journal root (dashed and undated styles); compact entries live in daily-notes/. */
  session?: string;
  role: string;
  slug: string;
  title: string;
  objective: string;
  issues?: string;
  naming?: NamingStyle;
  /** Optional SUMMARY section placed before PLAN, as some template versions have it. */
  summary?: string;
  plan: string;
  do: string;
  check: string;
  act: string;
  /** Extra material appended after ACT (logs, tables) for the large entries. */
  appendix?: string;
}
