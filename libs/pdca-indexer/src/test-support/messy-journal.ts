import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * A journal and a components tree with the shapes of a living repository, written by the tests
 * into a temp folder (never committed data): folder aliases (`latest → v1`, a session folder
 * linked into two role folders), dangling links to scenario JSON, scripts and notes, a dangling
 * PDCA link, a real loop, capital-letter `PDCA/` folders, README and index files in every
 * component folder, and links leading outside the roots.
 */
export interface MessyJournal {
  dir: string;
  journal: string;
  components: string;
  /** A folder outside both roots that links lead to. */
  outside: string;
  cleanup(): void;
}

/** Real PDCAs of the journal, by id (their real path under the journal without `.md`). */
export const MESSY_PDCAS = {
  fixChunker: 'sessions/2026-11-24-0900-indexer-sprint/pdca/role/developer/2026-11-24-UTC-0930-fix-chunker-tail',
  reviewChunker: 'sessions/2026-11-24-0900-indexer-sprint/pdca/role/po/2026-11-24-UTC-1400-review-chunker-fix',
  releaseNotes: 'releases/v1/pdca/2026-11-25-UTC-1000-release-notes',
  capitalDated: 'team/Developer/PDCA/2026-11-25-UTC-1100-requirement-cli',
  capitalUndated: 'team/Developer/PDCA/retro-notes',
} as const;

/** What discovery should find besides the PDCAs. */
export const MESSY_EXPECTED = {
  /** Folder links to folders walked under their own path, and one file link to a PDCA. */
  aliases: ['releases/latest', 'roles/developer/2026-11-24-0900-indexer-sprint', 'roles/po/2026-11-24-0900-indexer-sprint', 'highlights/2026-11-24-UTC-0930-fix-chunker-tail.md'],
  /** Dangling links that are not PDCAs by the default patterns. */
  ignored: ['sessions/2026-11-24-0900-indexer-sprint/scenario.json', 'sessions/2026-11-24-0900-indexer-sprint/run-tests.sh', 'notes/old-plan.md', 'sessions/2026-11-24-0900-indexer-sprint/pdca/role/developer/trace.log'],
  /** The one dangling PDCA link and the one PDCA link that leaves the root: the only failures. */
  brokenPdca: 'sessions/2026-11-24-0900-indexer-sprint/pdca/role/developer/2026-11-25-UTC-1200-moved-away.md',
  brokenTarget: '../../../../../archive/2026-11-25-UTC-1200-moved-away.md',
  outsidePdca: 'sessions/2026-11-24-0900-indexer-sprint/pdca/role/developer/2026-11-25-UTC-1300-shared-elsewhere.md',
  /** A link to a folder it sits in, and a folder outside the root: named, not followed. */
  loop: 'sessions/2026-11-24-0900-indexer-sprint/pdca/session',
  outsideFolder: 'shared-notes',
  /** Components that are what the project calls components. */
  componentNodes: ['DefaultWeb4Requirement', 'TSRanger', 'Web4Requirement', 'Web4RequirementCLI'],
} as const;

const pdca = (title: string, date: string, body: string, previous?: string) =>
  [
    `# 📋 **PDCA Cycle: ${title}**`,
    '',
    `**🗓️ Date:** ${date}`,
    `**🎯 Objective:** ${title}`,
    ...(previous ? [`**🔗 Previous PDCA:** [previous](${previous})`] : []),
    '',
    '## **📋 PLAN**',
    body,
    '',
    '## **🔧 DO**',
    'Read the README first, then the index of the folder, as every session does.',
    '',
    '## **✅ CHECK**',
    'The package builds; main and utils unchanged.',
    '',
    '## **🎯 ACT**',
    'Next session continues from here.',
    '',
  ].join('\n');

export function buildMessyJournal(): MessyJournal {
  const dir = mkdtempSync(join(tmpdir(), 'web4-messy-'));
  const journal = join(dir, 'journal');
  const components = join(dir, 'components');
  const outside = join(dir, 'outside');
  const file = (path: string, text: string) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  };
  const link = (target: string, path: string) => {
    mkdirSync(dirname(path), { recursive: true });
    symlinkSync(target, path);
  };
  const j = (rel: string) => join(journal, rel);
  const session = 'sessions/2026-11-24-0900-indexer-sprint';

  // The journal.
  file(j(`${MESSY_PDCAS.fixChunker}.md`), pdca('Fix the chunker tail', '2026-11-24-UTC-0930', 'DefaultWeb4Requirement lost the tail of long documents; see components/Web4Requirement/latest/README.md.'));
  // Its previous link goes through a role folder's alias of the session: the id is the real one.
  file(
    j(`${MESSY_PDCAS.reviewChunker}.md`),
    pdca('Review the chunker fix', '2026-11-24-UTC-1400', 'Reviewed the TSRanger output of the fix.', '../../../../../roles/developer/2026-11-24-0900-indexer-sprint/pdca/role/developer/2026-11-24-UTC-0930-fix-chunker-tail.md'),
  );
  file(j(`${MESSY_PDCAS.releaseNotes}.md`), pdca('Release notes v1', '2026-11-25-UTC-1000', 'Web4RequirementCLI ships in v1; index.ts exports it.'));
  link('v1', j('releases/latest')); // sorts before v1: the PDCA must still be releases/v1/…
  link(`../../${session}`, j('roles/developer/2026-11-24-0900-indexer-sprint'));
  link(`../../${session}`, j('roles/po/2026-11-24-0900-indexer-sprint'));
  link(`../${MESSY_PDCAS.fixChunker}.md`, j('highlights/2026-11-24-UTC-0930-fix-chunker-tail.md'));
  file(j(`${MESSY_PDCAS.capitalDated}.md`), pdca('Requirement CLI', '2026-11-25-UTC-1100', 'components/Web4Requirement/0.1.3.0/src/ts/layer5/Web4RequirementCLI.ts got a --json option.'));
  file(j(`${MESSY_PDCAS.capitalUndated}.md`), pdca('Retro', '2026-11-25-UTC-1600', 'What went well: README updates in every component.'));
  file(j('notes/agenda.md'), 'not a PDCA (no date, not under a pdca folder)');
  link('../../scenarios/indexer-sprint.scenario.json', j(`${session}/scenario.json`));
  link('/nonexistent/scripts/run-tests.sh', j(`${session}/run-tests.sh`));
  link('old-plan-v0.md', j('notes/old-plan.md'));
  link('../../../../../tmp/trace.log', j(`${session}/pdca/role/developer/trace.log`));
  link(MESSY_EXPECTED.brokenTarget, j(MESSY_EXPECTED.brokenPdca));
  link('..', j(MESSY_EXPECTED.loop));
  file(join(outside, 'notes/2026-11-25-UTC-0800-outside.md'), pdca('Outside', '2026-11-25-UTC-0800', 'not ours'));
  link(join(outside, 'notes/2026-11-25-UTC-0800-outside.md'), j(MESSY_EXPECTED.outsidePdca));
  link(join(outside, 'notes'), j(MESSY_EXPECTED.outsideFolder));

  // The components tree: README, index and package files in every folder.
  const c = (rel: string) => join(components, rel);
  file(c('README.md'), '# Components\n\nOne folder per component.\n');
  file(c('index.ts'), "export * from './Web4Requirement/latest/index.js';\n");
  const req = 'Web4Requirement/0.1.3.0';
  file(c(`${req}/README.md`), '# Web4Requirement\n\nRequirements as objects.\n');
  file(c(`${req}/package.json`), '{ "name": "web4-requirement", "version": "0.1.3.0" }\n');
  file(c(`${req}/index.ts`), "export { DefaultWeb4Requirement } from './src/ts/layer2/DefaultWeb4Requirement.js';\n");
  file(c(`${req}/src/ts/index.ts`), "export * from './layer2/DefaultWeb4Requirement.js';\n");
  file(c(`${req}/src/ts/layer2/DefaultWeb4Requirement.ts`), 'export class DefaultWeb4Requirement {\n  title = "";\n}\n');
  file(c(`${req}/src/ts/layer2/utils.ts`), 'export function slugify(s: string): string {\n  return s.toLowerCase();\n}\n');
  file(c(`${req}/src/ts/layer2/README.md`), '# layer 2\n\nImplementations.\n');
  file(c(`${req}/src/ts/layer3/Web4Requirement.interface.ts`), 'export interface Web4Requirement {\n  title: string;\n}\n');
  file(c(`${req}/src/ts/layer5/Web4RequirementCLI.ts`), 'export class Web4RequirementCLI {\n  run(): void {}\n}\n');
  file(c(`${req}/test/DefaultWeb4Requirement.test.ts`), "import { DefaultWeb4Requirement } from '../src/ts/layer2/DefaultWeb4Requirement.js';\n");
  link('0.1.3.0', c('Web4Requirement/latest'));
  file(c('TSRanger/v2.2/README.md'), '# TSRanger\n');
  file(c('TSRanger/v2.2/index.ts'), "export * from './src/ts/layer4/TSRanger.js';\n");
  file(c('TSRanger/v2.2/src/ts/layer4/TSRanger.ts'), 'export class TSRanger {}\n');
  file(c('TSRanger/v2.2/src/ts/layer2/Helpers.ts'), 'export const pad = (s: string) => s;\n');
  file(c('TSRanger/v2.2/main.ts'), 'new TSRanger();\n');
  link(join(outside, 'shared.ts'), c(`${req}/src/ts/shared.ts`));
  file(join(outside, 'shared.ts'), 'export const shared = 1;\n');
  link('../../../../../scenarios/requirement.scenario.json', c(`${req}/src/ts/requirement.scenario.json`));

  return { dir, journal, components, outside, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
