import { statSync } from 'node:fs';
import { InputError, resolveStatePath, type Web4Config } from '@web4/core';
import type { CollectionName } from '@web4/rag-tiers';

export type CorpusSourceName = 'trainai' | 'components' | 'processDocs' | 'toolExamples' | 'journal';

/** One folder `web4 index corpus` loads, where its path came from, and what it is in messages. */
export interface CorpusSource {
  name: CorpusSourceName;
  collection: CollectionName;
  kind: 'topic' | 'component' | 'doc' | 'pdca';
  dir: string;
  /** The setting that names it, and the command-line option that overrides it. */
  setting: string;
  option: string;
  /** "journal root", "components folder" …: the root named in the messages about its links. */
  rootName: string;
  /** Given on the command line (must exist), or from the config (may be marked optional). */
  from: 'option' | 'config';
}

export type CorpusFolderOverrides = Partial<Record<CorpusSourceName, string>>;

const SOURCES: ReadonlyArray<Omit<CorpusSource, 'dir' | 'from'>> = [
  { name: 'trainai', collection: 'process_framework', kind: 'topic', setting: 'rag.corpus.trainai', option: '--trainai', rootName: 'TrainAI folder' },
  { name: 'components', collection: 'components', kind: 'component', setting: 'rag.corpus.components', option: '--components', rootName: 'components folder' },
  { name: 'processDocs', collection: 'process_docs', kind: 'doc', setting: 'rag.corpus.processDocs', option: '--process-docs', rootName: 'process docs folder' },
  { name: 'toolExamples', collection: 'tool_examples', kind: 'doc', setting: 'rag.corpus.toolExamples', option: '--tool-examples', rootName: 'tool examples folder' },
  { name: 'journal', collection: 'pdca_historical', kind: 'pdca', setting: 'rag.journal.root', option: '--journal', rootName: 'journal root' },
];

/**
 * The folders of a corpus run, in loading order (topics and components first, so PDCAs can link
 * to both). A folder that does not exist is an error, all of them named in one message, unless
 * the config marks it optional (`rag.corpus.optional`): then it is returned in `skipped`.
 * A folder given on the command line must exist. `only` limits the run to some sources
 * (`web4 index daily` checks its journal with `['journal']`).
 */
export function resolveCorpusSources(
  config: Web4Config,
  overrides: CorpusFolderOverrides = {},
  only?: readonly CorpusSourceName[],
): { sources: CorpusSource[]; skipped: CorpusSource[] } {
  const optional = new Set<string>(config.rag.corpus.optional);
  const sources: CorpusSource[] = [];
  const skipped: CorpusSource[] = [];
  const missing: string[] = [];
  for (const s of SOURCES) {
    if (only && !only.includes(s.name)) continue;
    const given = overrides[s.name];
    const configured = s.name === 'journal' ? config.rag.journal.root : config.rag.corpus[s.name];
    const source: CorpusSource = { ...s, dir: resolveStatePath(config, given ?? configured), from: given === undefined ? 'config' : 'option' };
    const problem = folderProblem(source.dir);
    if (!problem) sources.push(source);
    else if (source.from === 'config' && optional.has(s.name)) skipped.push(source);
    else missing.push(source.from === 'option' ? `${s.option} ${source.dir} ${problem}` : `${s.setting} = ${source.dir} ${problem}`);
  }
  if (missing.length > 0) {
    const fromConfig = missing.some((m) => m.startsWith('rag.'));
    throw new InputError(`Nothing was indexed: ${missing.length === 1 ? 'a source folder is' : 'source folders are'} missing: ${missing.join('; ')}.`, {
      hint: fromConfig
        ? 'Fix the path in web4.config.json (or the option). A folder this state root does not have can be marked optional: "rag": { "corpus": { "optional": ["components", "processDocs", "toolExamples", "trainai"] } } (the journal cannot).'
        : 'Fix the path given on the command line: a folder named there must exist.',
      details: { missing },
    });
  }
  return { sources, skipped };
}

function folderProblem(dir: string): string | null {
  try {
    return statSync(dir).isDirectory() ? null : 'is not a folder';
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (cause as Error).message})`;
  }
}
