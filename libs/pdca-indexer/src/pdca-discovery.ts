import { readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { InputError } from '@web4/core';

/** A PDCA file found under the journal root. */
export interface DiscoveredFile {
  /** The path as found (may be a symlink inside the root). */
  path: string;
  /** Where it really is. */
  realPath: string;
  /** Relative to the root, with `/` separators. */
  relPath: string;
  pdcaId: string;
  /** `YYYY-MM-DD` from the file name, or null when the name has none (the header may). */
  nameDate: string | null;
}

export type ProblemKind =
  | 'symlink_loop'
  | 'outside_root'
  | 'unreadable'
  | 'broken_link'
  | 'duplicate'
  | 'empty'
  | 'binary'
  | 'invalid_utf8'
  | 'too_large';

/** A path that could not be taken, with a reason a person can act on. */
export interface DiscoveryProblem {
  path: string;
  kind: ProblemKind;
  reason: string;
}

export interface Discovery {
  root: string;
  files: DiscoveredFile[];
  problems: DiscoveryProblem[];
}

const NAME_DATES = [/^(\d{4})(\d{2})(\d{2})-/, /^(\d{4})-(\d{2})-(\d{2})-UTC-\d{4}/, /^(\d{4})-(\d{2})-(\d{2})\b/];

/** A compiled journal pattern: matches a root-relative path (or, without `/`, the file name). */
export interface PathPattern {
  source: string;
  test(relPath: string): boolean;
}

/**
 * Compile the configured globs: `*` and `?` stay inside a folder, `**` crosses folders
 * (a leading double star and slash also matches no folder at all), `[0-9]` is a character class.
 */
export function compilePatterns(patterns: readonly string[]): PathPattern[] {
  return patterns.map((source) => {
    let re: RegExp;
    try {
      re = globToRegExp(source);
    } catch (cause) {
      throw new InputError(`The journal pattern "${source}" is not a valid glob: ${(cause as Error).message}`, {
        hint: 'Fix rag.journal.patterns in web4.config.json (globs like "**/pdca/**/*.md" or "[0-9][0-9][0-9][0-9]-*.md").',
      });
    }
    const onName = !source.includes('/');
    return { source, test: (relPath: string) => re.test(onName ? relPath.slice(relPath.lastIndexOf('/') + 1) : relPath) };
  });
}

export function globToRegExp(glob: string): RegExp {
  if (!glob) throw new Error('empty pattern');
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        if (glob[i + 2] === '/') {
          re += '(?:.*/)?';
          i += 2;
        } else {
          re += '.*';
          i += 1;
        }
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) throw new Error(`unclosed "[" at position ${i + 1}`);
      re += '[' + glob.slice(i + 1, end).replace(/^!/, '^') + ']';
      i = end;
    } else if ('\\^$.|+(){}'.includes(c)) re += '\\' + c;
    else re += c;
  }
  return new RegExp(`^${re}$`, 'u');
}

export function dateFromName(name: string): string | null {
  for (const re of NAME_DATES) {
    const m = re.exec(name);
    if (m) {
      const day = `${m[1]}-${m[2]}-${m[3]}`;
      if (!Number.isNaN(Date.parse(`${day}T00:00:00Z`))) return day;
    }
  }
  return null;
}

/** The id of a PDCA: its path under the root without the extension (unique, readable, stable). */
export function pdcaIdOf(relPath: string): string {
  return relPath.replace(/\.pdca\.md$/i, '').replace(/\.md$/i, '');
}

/**
 * Find PDCA files under `root`, recursively. Symlinks are followed only while they stay inside
 * the root; a directory reached twice through links is a loop and is reported, not walked again.
 * Two paths to the same file (a symlinked entry) yield the file once: the real path wins.
 */
export function discoverFiles(root: string, patterns: readonly PathPattern[]): Discovery {
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
    if (!statSync(realRoot).isDirectory()) throw new Error('not a directory');
  } catch (cause) {
    throw new InputError(`The journal root ${root} does not exist or is not a directory (${(cause as Error).message}).`, {
      hint: 'Set rag.journal.root in web4.config.json (or pass --journal) to the folder holding your PDCAs.',
    });
  }
  const problems: DiscoveryProblem[] = [];
  const candidates: DiscoveredFile[] = [];
  const visitedDirs = new Set<string>([realRoot]);
  const inside = (p: string) => p === realRoot || p.startsWith(realRoot + sep);

  const walk = (dir: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (cause) {
      problems.push({ path: dir, kind: 'unreadable', reason: `cannot list directory: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}; fix its permissions (chmod u+rx)` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      let real = path;
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          real = realpathSync(path);
        } catch (cause) {
          const code = (cause as NodeJS.ErrnoException).code;
          if (code === 'ELOOP') problems.push({ path, kind: 'symlink_loop', reason: 'symlink loop (the link resolves to itself); remove or fix the link' });
          else problems.push({ path, kind: 'broken_link', reason: `symlink target missing (${code ?? 'error'}); remove or fix the link` });
          continue;
        }
        if (!inside(real)) {
          problems.push({ path, kind: 'outside_root', reason: `symlink points outside the journal root (to ${real}); not followed — copy the file into the journal instead` });
          continue;
        }
        try {
          const st = statSync(real);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch (cause) {
          problems.push({ path, kind: 'unreadable', reason: `cannot stat link target: ${(cause as Error).message}` });
          continue;
        }
      }
      if (isDir) {
        if (entry.isSymbolicLink()) {
          // Every directory walked so far (its ancestors included) is in visitedDirs.
          if (visitedDirs.has(real)) {
            problems.push({ path, kind: 'symlink_loop', reason: `directory symlink loop: ${relative(root, path)} leads back to ${relative(realRoot, real) || '.'}, already walked; not followed again` });
            continue;
          }
        } else if (visitedDirs.has(real)) continue;
        visitedDirs.add(real);
        walk(path);
        continue;
      }
      if (!isFile) continue;
      const relPath = relative(root, path).split(sep).join('/');
      if (!patterns.some((p) => p.test(relPath))) continue;
      if (!entry.isSymbolicLink()) {
        try {
          real = realpathSync(path); // a file under a linked directory is an alias too
        } catch {
          real = path;
        }
      }
      candidates.push({ path, realPath: real, relPath, pdcaId: pdcaIdOf(relPath), nameDate: dateFromName(basename(path)) });
    }
  };
  walk(root);

  // Real files before links, so an alias never takes the place of the file it points to.
  const isLink = (f: DiscoveredFile) => relative(realRoot, f.realPath).split(sep).join('/') !== f.relPath;
  candidates.sort((a, b) => Number(isLink(a)) - Number(isLink(b)) || a.relPath.localeCompare(b.relPath));
  const byReal = new Map<string, DiscoveredFile>();
  const files: DiscoveredFile[] = [];
  for (const f of candidates) {
    const first = byReal.get(f.realPath);
    if (first) {
      problems.push({ path: f.path, kind: 'duplicate', reason: `symlink to ${first.relPath}, which is indexed once as ${first.pdcaId}` });
      continue;
    }
    byReal.set(f.realPath, f);
    files.push(f);
  }
  files.sort((a, b) => a.relPath.localeCompare(b.relPath));
  return { root, files, problems };
}
