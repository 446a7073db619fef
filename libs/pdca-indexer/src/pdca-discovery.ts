import { readdirSync, readlinkSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { InputError } from '@web4/core';

/** A PDCA file found under the journal root. */
export interface DiscoveredFile {
  /** Where to read it: under the root, along real folders (never through a folder alias). */
  path: string;
  /** Where it really is. */
  realPath: string;
  /** Its real path relative to the root, with `/` separators: the document's identity. */
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
  | 'empty'
  | 'binary'
  | 'invalid_utf8'
  | 'too_large';

/** A path that could not be taken (or a link not followed), with a reason a person can act on. */
export interface DiscoveryProblem {
  path: string;
  kind: ProblemKind;
  reason: string;
}

/** A link that needs nothing done: counted in the report, not listed as a problem. */
export interface DiscoveryNote {
  path: string;
  reason: string;
}

export interface Discovery {
  root: string;
  files: DiscoveredFile[];
  /**
   * What could not be taken and needs a person: a broken, looping or outside link with a PDCA's
   * name (the message names the missing target, or the root it left), a folder that cannot be listed.
   */
  problems: DiscoveryProblem[];
  /**
   * Folder links not followed, named: a real loop (a link to a folder it sits in) and a folder
   * outside the root. Nothing under the root is missed by not following them.
   */
  skipped: DiscoveryProblem[];
  /** Links to a file or folder that is taken under its real path (`latest → 0.1.3.0`, a session folder linked into two places). */
  aliases: DiscoveryNote[];
  /** Links the patterns would not accept that lead nowhere (dangling, outside, looping): scenario JSON, scripts, other docs. */
  ignored: DiscoveryNote[];
}

export interface DiscoveryOptions {
  /** What the root is, in messages: "journal root" (default), "components folder" … */
  rootName?: string;
  /** The setting that names the root, for the hint when it is missing (default rag.journal.root). */
  setting?: string;
}

const NAME_DATES = [/^(\d{4})(\d{2})(\d{2})-/, /^(\d{4})-(\d{2})-(\d{2})-UTC-\d{4}/, /^(\d{4})-(\d{2})-(\d{2})\b/];

/** A compiled journal pattern: matches a root-relative path (or, without `/`, the file name). */
export interface PathPattern {
  source: string;
  test(relPath: string): boolean;
}

/**
 * Compile the configured globs: `*` and `?` stay inside a folder, `**` crosses folders
 * (a leading double star and slash also matches no folder at all), `[0-9]` is a character class;
 * case-insensitive.
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
  // Case does not matter: `PDCA/` folders and `.MD` files are PDCAs too.
  return new RegExp(`^${re}$`, 'iu');
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
 * Find PDCA files under `root`, recursively. A document's identity is its real path: folders are
 * walked only under their real path, so a folder link inside the root (`latest → 0.1.3.0`, a
 * session folder linked into several places) is an alias, counted and not walked, whatever the
 * names sort as; a link to a folder it sits in is a real loop and is named as one. A file link
 * with a PDCA's name is taken once, under the file it leads to. Broken, looping or outside links
 * are problems only when the patterns would take them for a PDCA; other links that lead nowhere
 * are counted as ignored.
 */
export function discoverFiles(root: string, patterns: readonly PathPattern[], options: DiscoveryOptions = {}): Discovery {
  const rootName = options.rootName ?? 'journal root';
  const setting = options.setting ?? 'rag.journal.root';
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
    if (!statSync(realRoot).isDirectory()) throw new Error('not a directory');
  } catch (cause) {
    throw new InputError(`The ${rootName} ${root} does not exist or is not a directory (${(cause as Error).message}).`, {
      hint:
        setting === 'rag.journal.root'
          ? 'Set rag.journal.root in web4.config.json (or pass --journal) to the folder holding your PDCAs.'
          : `Set ${setting} in web4.config.json (or its command-line option) to an existing folder.`,
    });
  }
  const problems: DiscoveryProblem[] = [];
  const skipped: DiscoveryProblem[] = [];
  const aliases: DiscoveryNote[] = [];
  const ignored: DiscoveryNote[] = [];
  const candidates: DiscoveredFile[] = [];
  const fileLinks: Array<{ path: string; relPath: string; real: string }> = [];
  const inside = (p: string) => p === realRoot || p.startsWith(realRoot + sep);
  const relOf = (abs: string) => relative(realRoot, abs).split(sep).join('/');
  const accepts = (relPath: string) => patterns.some((p) => p.test(relPath));

  // `dir` is the path as walked (under `root`), `realDir` where it really is: only real folders
  // are walked, so the two name the same place.
  const walk = (dir: string, realDir: string) => {
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
      const relPath = relOf(join(realDir, entry.name));
      if (!entry.isSymbolicLink()) {
        if (entry.isDirectory()) walk(path, join(realDir, entry.name));
        else if (entry.isFile() && accepts(relPath)) {
          candidates.push({ path, realPath: join(realDir, entry.name), relPath, pdcaId: pdcaIdOf(relPath), nameDate: dateFromName(entry.name) });
        }
        continue;
      }
      const named = accepts(relPath); // would the patterns take it for a PDCA?
      let real: string;
      try {
        real = realpathSync(path);
      } catch (cause) {
        const code = (cause as NodeJS.ErrnoException).code ?? 'error';
        const target = linkTarget(path);
        if (!named) ignored.push({ path, reason: `link to ${target} leads nowhere (${code}); not a file the patterns take` });
        else if (code === 'ELOOP') problems.push({ path, kind: 'symlink_loop', reason: `symlink loop: ${relPath} → ${target} resolves to itself; remove the link or point it at the PDCA` });
        else {
          const missing = resolve(dirname(path), target);
          problems.push({ path, kind: 'broken_link', reason: `symlink target missing: ${relPath} → ${target} (${missing} ${code === 'ENOENT' ? 'does not exist' : code}); restore the PDCA there or remove the link` });
        }
        continue;
      }
      let isDir = false;
      let isFile = false;
      try {
        const st = statSync(real);
        isDir = st.isDirectory();
        isFile = st.isFile();
      } catch (cause) {
        if (named) problems.push({ path, kind: 'unreadable', reason: `cannot stat link target ${real}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}` });
        else ignored.push({ path, reason: `link to ${real}, which cannot be read` });
        continue;
      }
      if (!inside(real)) {
        if (isDir) {
          skipped.push({ path, kind: 'outside_root', reason: `folder link to ${real}, outside the ${rootName} ${realRoot}; not followed — move what it holds into the ${rootName}, or remove the link` });
        } else if (isFile && named) {
          problems.push({ path, kind: 'outside_root', reason: `symlink points outside the ${rootName} ${realRoot} (to ${real}); not followed — copy the file into the ${rootName} instead` });
        } else if (isFile) ignored.push({ path, reason: `link to ${real}, outside the ${rootName}; not a file the patterns take` });
        continue;
      }
      if (isDir) {
        if (realDir === real || realDir.startsWith(real + sep)) {
          skipped.push({ path, kind: 'symlink_loop', reason: `directory symlink loop: ${relPath} → ${relOf(real) || '.'} is a folder it sits in; not followed — remove the link` });
        } else aliases.push({ path, reason: `folder alias of ${relOf(real)}, which is walked under its own path` });
        continue;
      }
      if (isFile && named) fileLinks.push({ path, relPath, real });
    }
  };
  walk(root, realRoot);

  const byReal = new Map(candidates.map((f) => [f.realPath, f]));
  for (const link of fileLinks) {
    const first = byReal.get(link.real);
    if (first) {
      aliases.push({ path: link.path, reason: `alias of ${first.relPath}, indexed once as ${first.pdcaId}` });
      continue;
    }
    // The file it leads to is not a PDCA by its own name; the link says it is one: taken under its real path.
    const relPath = relOf(link.real);
    const file: DiscoveredFile = {
      path: join(root, ...relPath.split('/')),
      realPath: link.real,
      relPath,
      pdcaId: pdcaIdOf(relPath),
      nameDate: dateFromName(basename(link.real)) ?? dateFromName(basename(link.path)),
    };
    byReal.set(link.real, file);
    candidates.push(file);
  }
  candidates.sort((a, b) => a.relPath.localeCompare(b.relPath));
  return { root, files: candidates, problems, skipped, aliases, ignored };
}

function linkTarget(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '(unreadable link)';
  }
}
