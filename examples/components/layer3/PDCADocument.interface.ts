/**
 * A PDCA as the indexer sees it after parsing: the header facts, the four sections and the raw
 * text. Parsing is lossless on purpose — `body` keeps everything so chunking never depends on
 * whether a section heading was spelled the way the template says.
 */
export type PDCASectionName = 'plan' | 'do' | 'check' | 'act';

export interface PDCAHeader {
  title: string;
  /** ISO day, taken from the file name when it carries one, otherwise from the Date line. */
  day: string;
  /** `HHMM` in UTC when known. */
  time?: string;
  objective?: string;
  role?: string;
  issues?: string;
  lastCommitSha?: string;
  /** Relative link target of the Previous PDCA line, resolved against the file's folder. */
  previous?: string;
}

export interface PDCADocument {
  /** Stable id: the path relative to the journal root without extension. */
  id: string;
  path: string;
  header: PDCAHeader;
  sections: Partial<Record<PDCASectionName, string>>;
  body: string;
  contentHash: string;
  sizeBytes: number;
}
