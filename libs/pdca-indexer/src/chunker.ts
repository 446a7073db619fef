export interface TextChunk {
  index: number;
  /** Character offset of the chunk in the document (overlaps are removed by it when rebuilding). */
  start: number;
  text: string;
}

/**
 * Cut the whole document into chunks of about `size` characters that overlap by `overlap`,
 * ending at a paragraph, line or word break when one is near, so no sentence is cut mid-word.
 */
export function chunkText(text: string, size: number, overlap: number): TextChunk[] {
  if (overlap >= size) throw new RangeError(`chunk overlap (${overlap}) must be smaller than chunk size (${size})`);
  const chunks: TextChunk[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + size);
    if (end < text.length) {
      const window = text.slice(start + Math.floor(size * 0.6), end);
      const cut = Math.max(window.lastIndexOf('\n\n'), -1);
      const at = cut >= 0 ? cut + 2 : Math.max(window.lastIndexOf('\n') + 1, window.lastIndexOf(' ') + 1);
      if (at > 0) end = start + Math.floor(size * 0.6) + at;
    }
    chunks.push({ index: chunks.length, start, text: text.slice(start, end) });
    if (end >= text.length) break;
    let next = end - overlap;
    // Start the overlap at a word boundary too.
    const space = text.indexOf(' ', next);
    if (space !== -1 && space < end) next = space + 1;
    start = Math.max(next, start + 1);
  }
  return chunks;
}
