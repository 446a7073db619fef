import type { Chunk, Chunker } from '../layer3/Chunker.interface.js';

/**
 * Character windows with overlap, preferring to cut at a paragraph or line break near the end
 * of each window. The first version cut at exactly `maxChars` and split code fences in half,
 * which made retrieval return half a bash command; breaking on blank lines fixed most of that.
 */
export class OverlapChunker implements Chunker {
  maxChars = 1200;
  overlapChars = 200;

  constructor() {}

  init(maxChars = 1200, overlapChars = 200): this {
    if (overlapChars >= maxChars) {
      throw new RangeError(`overlap (${overlapChars}) must be smaller than the window (${maxChars})`);
    }
    this.maxChars = maxChars;
    this.overlapChars = overlapChars;
    return this;
  }

  split(body: string): Chunk[] {
    const chunks: Chunk[] = [];
    let start = 0;
    while (start < body.length) {
      let end = Math.min(start + this.maxChars, body.length);
      if (end < body.length) end = this.preferredBreak(body, start, end);
      chunks.push({ index: chunks.length, text: body.slice(start, end), start, end });
      if (end >= body.length) break;
      // Never step backwards: a window shorter than the overlap would loop forever.
      start = Math.max(end - this.overlapChars, start + 1);
    }
    return chunks;
  }

  private preferredBreak(body: string, start: number, end: number): number {
    const floor = start + Math.floor(this.maxChars * 0.6);
    const paragraph = body.lastIndexOf('\n\n', end);
    if (paragraph > floor) return paragraph + 2;
    const line = body.lastIndexOf('\n', end);
    if (line > floor) return line + 1;
    return end;
  }
}
