import { closeSync, openSync, readSync } from 'node:fs';

/**
 * What the project calls a component: its folder under the components root
 * (`Web4Requirement/0.1.3.0/…` → Web4Requirement) and the class or unit a code file exports
 * under its own name (`layer2/GraphTier.ts` → GraphTier). A generic file name (README, index,
 * package …) never names a component: on a real repository such names collect edges from half
 * the journal and say nothing.
 */

/** File stems and folder names that never name a component (compared in lower case). */
const GENERIC_NAMES = new Set([
  'readme', 'index', 'main', 'package', 'package-lock', 'types', 'type', 'typings', 'utils', 'util', 'helpers', 'helper',
  'constants', 'const', 'config', 'configs', 'settings', 'common', 'shared', 'mod', 'init', '__init__', '__main__', 'setup',
  'changelog', 'license', 'licence', 'contributing', 'notes', 'todo', 'tsconfig', 'makefile', 'dockerfile', 'global', 'globals',
  'defaults', 'default', 'errors', 'test', 'tests', 'spec', 'specs', 'mocks', 'fixtures', 'example', 'examples', 'scenario',
  'scenarios', 'docs', 'doc', 'src', 'lib', 'dist', 'build', 'bin', 'sh', 'ts', 'js', 'scripts', 'assets', 'components',
  'component', 'packages', 'modules', 'node_modules', 'latest', 'current', 'stable', 'next', 'dev', 'prod', 'release',
]);

/** Folder names that are structure, not a component: versions (`0.1.3.0`, `v2.2`) and layers (`layer2`). */
const STRUCTURAL_FOLDER = /^(?:v?\d+(?:[._-]\d+)*(?:-[\w.]+)?|layer\d+)$/i;

/** A name a component can have: an identifier of at least two characters that is not generic. */
export function isComponentName(name: string): boolean {
  return /^[A-Za-z_$][\w$-]+$/.test(name) && !GENERIC_NAMES.has(name.toLowerCase()) && !STRUCTURAL_FOLDER.test(name);
}

const CODE_FILE = /\.(?:[cm]?[jt]sx?|py|go|java|kt|rs|cs|swift|rb|php)$/i;

/**
 * The unit name a code file would carry: `X.ts`, `X.interface.ts`, `X.test.ts` → X; null for
 * other files. A unit is named like a class (`GraphTier`): a lower-case file (`contains.ts`,
 * `json.ts`) is a part of its folder's component, and its name a common word.
 */
export function unitStem(fileName: string): string | null {
  if (!CODE_FILE.test(fileName)) return null;
  const stem = fileName.replace(CODE_FILE, '').replace(/\.(?:interface|test|spec|d|types?)$/i, '');
  return /^[A-Z]/.test(stem) && isComponentName(stem) ? stem : null;
}

/** The component folder of a path under the components root: its first folder that is not structure. */
export function componentFolder(relPath: string): string | null {
  const folders = relPath.split('/').slice(0, -1);
  return folders.find(isComponentName) ?? null;
}

/** Does the code declare `name` as a class, interface, type, enum, function or constant it exports? */
export function declaresUnit(code: string, name: string): boolean {
  const n = name.replace(/[$]/g, '\\$');
  const exported = new RegExp(
    `export\\s+(?:default\\s+)?(?:declare\\s+)?(?:abstract\\s+)?(?:class|interface|type|enum|function\\*?|const|let|namespace)\\s+${n}\\b|export\\s+default\\s+${n}\\b|export\\s*\\{[^}]*\\b${n}\\b[^}]*\\}`,
  );
  // Languages without `export` (Python, Go, Java …): a class or function of that name.
  const declared = new RegExp(`^\\s*(?:public\\s+|pub\\s+)?(?:class|interface|struct|trait|enum|def|func|fn)\\s+${n}\\b`, 'm');
  return exported.test(code) || declared.test(code);
}

/** The components a file under the components root belongs to: its folder's, and the unit it exports. */
export function componentsOfFile(relPath: string, readHead: () => string): { folder: string | null; unit: string | null } {
  const folder = componentFolder(relPath);
  const stem = unitStem(relPath.slice(relPath.lastIndexOf('/') + 1));
  let unit: string | null = null;
  if (stem && !/\.(?:test|spec)\.[^.]+$/i.test(relPath)) {
    try {
      if (declaresUnit(readHead(), stem)) unit = stem;
    } catch {
      // unreadable: the indexer reports the file; it names no unit
    }
  }
  return { folder, unit: unit === folder ? null : unit };
}

/** The first 256 KB of a file: where a unit's declaration is. */
export function readHead(path: string, bytes = 256 * 1024): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Components a text (a PDCA) names: the folder and the known unit of every `components/…` path,
 * and known component names as whole words (four characters or more, not a plain lower-case
 * word). Generic names never count.
 */
export function mentionedComponents(text: string, known: readonly string[]): string[] {
  const names = known.filter(isComponentName);
  const knownSet = new Set(names);
  const found = new Set<string>();
  for (const m of text.matchAll(/components\/([^\s)\]`'"<>|]+)/g)) {
    const path = m[1]!.replace(/[.,;:]+$/, '');
    const segments = path.split('/');
    const folder = segments.length > 1 ? componentFolder(path) : isComponentName(segments[0]!) ? segments[0]! : null;
    if (folder) found.add(folder);
    const last = segments[segments.length - 1]!;
    const stem = last.replace(/\..*$/, '');
    if (stem && stem !== folder && knownSet.has(stem)) found.add(stem);
  }
  for (const name of names) {
    // A plain lower-case word (`core`, `rollback`) is a mention only as a `components/…` path.
    if (/^[a-z]+$/.test(name)) continue;
    if (name.length >= 4 && new RegExp(`\\b${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(text)) found.add(name);
  }
  return [...found].sort();
}
