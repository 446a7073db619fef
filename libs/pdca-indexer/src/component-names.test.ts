import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { componentFolder, componentsOfFile, declaresUnit, isComponentName, mentionedComponents, readHead, unitStem } from './component-names.js';
import { compilePatterns, discoverFiles } from './pdca-discovery.js';
import { buildMessyJournal, MESSY_EXPECTED, type MessyJournal } from './test-support/messy-journal.js';

describe('component names', () => {
  it('never takes a generic file name, a version or a layer folder for a component', () => {
    for (const generic of ['README', 'index', 'main', 'package', 'types', 'utils', 'Utils', 'INDEX', 'latest', '0.1.3.0', 'v2.2', 'layer2', 'src', 'x']) {
      expect(isComponentName(generic), generic).toBe(false);
    }
    for (const name of ['Web4Requirement', 'GraphTier', 'TSRanger', 'web4-requirement']) expect(isComponentName(name), name).toBe(true);
    expect(unitStem('PDCADocument.interface.ts')).toBe('PDCADocument');
    expect(unitStem('index.ts')).toBeNull();
    expect(unitStem('README.md')).toBeNull();
    expect(componentFolder('Web4Requirement/0.1.3.0/src/ts/layer2/DefaultWeb4Requirement.ts')).toBe('Web4Requirement');
    expect(componentFolder('layer2/GraphTier.ts')).toBeNull();
  });

  it('takes a unit only from a code file that declares it', () => {
    expect(declaresUnit('export class GraphTier {}', 'GraphTier')).toBe(true);
    expect(declaresUnit('export default abstract class GraphTier {}', 'GraphTier')).toBe(true);
    expect(declaresUnit('class GraphTier {}\nexport { GraphTier };', 'GraphTier')).toBe(true);
    expect(declaresUnit('class Chunker:\n    pass', 'Chunker')).toBe(true);
    expect(declaresUnit('export const pad = (s) => s; // Helpers', 'Helpers')).toBe(false);
    expect(declaresUnit('export class GraphTierCache {}', 'GraphTier')).toBe(false);
  });
});

describe('components of a tree with README and index files in every folder', () => {
  let m: MessyJournal;
  beforeEach(() => {
    m = buildMessyJournal();
  });
  afterEach(() => m.cleanup());

  it('are its component folders and the units their code exports, never README, index or package', () => {
    const files = discoverFiles(m.components, compilePatterns(['*.ts', '*.md', '*.json'])).files;
    expect(files.filter((f) => /(^|\/)(README\.md|index\.ts|package\.json)$/.test(f.relPath)).length).toBeGreaterThanOrEqual(7);
    const names = new Set<string>();
    for (const f of files) {
      const c = componentsOfFile(f.relPath, () => readHead(f.path));
      for (const n of [c.folder, c.unit]) if (n) names.add(n);
    }
    expect([...names].sort()).toEqual([...MESSY_EXPECTED.componentNodes]);
    expect(componentsOfFile('Web4Requirement/0.1.3.0/README.md', () => '# x')).toEqual({ folder: 'Web4Requirement', unit: null });
    expect(componentsOfFile('README.md', () => '# x')).toEqual({ folder: null, unit: null });
    const helpers = join(m.components, 'TSRanger/v2.2/src/ts/layer2/Helpers.ts');
    expect(componentsOfFile('TSRanger/v2.2/src/ts/layer2/Helpers.ts', () => readHead(helpers))).toEqual({ folder: 'TSRanger', unit: null });
  });

  it('are what a PDCA names: component paths and known names, never README or index', () => {
    const known = [...MESSY_EXPECTED.componentNodes, 'README', 'index'];
    const text = [
      'Read the README and the index first.',
      'See components/Web4Requirement/latest/README.md and components/README.md.',
      'components/Web4Requirement/0.1.3.0/src/ts/layer5/Web4RequirementCLI.ts got a flag;',
      'components/layer2/index.ts, components/TSRanger/v2.2/sh/tsranger.',
    ].join('\n');
    expect(mentionedComponents(text, known)).toEqual(['TSRanger', 'Web4Requirement', 'Web4RequirementCLI']);
    // A name inside a longer one is not a mention.
    expect(mentionedComponents('DefaultWeb4Requirement only', known)).toEqual(['DefaultWeb4Requirement']);
  });
});
