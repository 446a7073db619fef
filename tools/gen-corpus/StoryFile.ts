import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { NamingStyle, Story } from './Story.js';

/**
 * Reads the hand-written story sources (tools/gen-corpus/stories/*.md). Markdown rather than
 * TypeScript strings so that code fences and backticks in the stories need no escaping.
 *
 * A story starts with `=== YYYY-MM-DD HHMM role slug`, then `key: value` lines, then sections
 * introduced by `--- PLAN`, `--- DO`, `--- CHECK`, `--- ACT` (and optionally `--- SUMMARY`).
 */
export interface StorySource extends Story {
  encoding: 'utf8' | 'latin1';
  appendix?: string;
}

const HEAD = /^=== (\d{4}-\d{2}-\d{2}) (\d{4}) ([a-z-]+) ([a-z0-9-]+)\s*$/;
const SECTION = /^--- (PLAN|DO|CHECK|ACT|SUMMARY)\s*$/;

export function parseStories(text: string, source: string): StorySource[] {
  const blocks = text.split(/^(?==== )/m).filter((b) => b.trim());
  return blocks.map((block, i) => {
    const lines = block.replace(/\s+$/, '').split('\n');
    const head = HEAD.exec(lines[0] ?? '');
    if (!head) throw new Error(`${source}: story ${i + 1} must start with "=== YYYY-MM-DD HHMM role slug", got "${lines[0]}"`);
    const fields: Record<string, string> = {};
    const sections: Record<string, string[]> = {};
    let current: string | undefined;
    for (const line of lines.slice(1)) {
      const s = SECTION.exec(line);
      if (s) {
        current = s[1]!.toLowerCase();
        sections[current] = [];
      } else if (current) sections[current]!.push(line);
      else if (line.trim()) {
        const at = line.indexOf(':');
        if (at < 0) throw new Error(`${source}: story ${head[4]}: expected "key: value", got "${line}"`);
        fields[line.slice(0, at).trim()] = line.slice(at + 1).trim();
      }
    }
    const section = (name: string) => {
      const body = sections[name];
      if (!body) throw new Error(`${source}: story ${head[4]} has no "--- ${name.toUpperCase()}" section`);
      return body.join('\n').trim();
    };
    const naming = (fields.naming ?? 'dashed') as NamingStyle;
    if (naming !== 'compact' && !fields.session) throw new Error(`${source}: story ${head[4]} needs a session folder`);
    return {
      day: head[1]!,
      time: head[2]!,
      role: head[3]!,
      slug: head[4]!,
      session: fields.session,
      naming,
      title: fields.title ?? head[4]!,
      objective: fields.objective ?? '',
      issues: fields.issues,
      encoding: fields.encoding === 'latin1' ? 'latin1' : 'utf8',
      appendix: fields.appendix,
      summary: sections.summary?.join('\n').trim(),
      plan: section('plan'),
      do: section('do'),
      check: section('check'),
      act: section('act'),
    };
  });
}

export function loadStories(dir: string): StorySource[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .flatMap((f) => parseStories(readFileSync(join(dir, f), 'utf8'), f));
}
