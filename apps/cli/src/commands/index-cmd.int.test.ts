import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildMessyJournal, MESSY_EXPECTED, type MessyJournal } from '@web4/pdca-indexer/test-support';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const EXAMPLES = join(REPO, 'examples');

function web4(root: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(REPO, 'tools/web4.mjs'), ...args, '--root', root],
      { encoding: 'utf8', env: { ...process.env, WEB4_SERVICES__CHROMA__URL: process.env.WEB4_SERVICES__CHROMA__URL ?? inject('chromaUrl') }, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: stdout, err: stderr }),
    );
  });
}

/** `web4 index` on a journal with a real repository's shapes: the report a person reads, and the log cron leaves. */
describe('web4 index on a journal shaped like a real one (real CLI, Chroma, model)', () => {
  let m: MessyJournal;
  let root: string;
  beforeAll(() => {
    m = buildMessyJournal();
    root = mkdtempSync(join(tmpdir(), 'web4-cli-messy-'));
    writeFileSync(
      join(root, 'web4.config.json'),
      JSON.stringify({
        rag: {
          chromaDatabase: `messy_${process.pid}_${Date.now().toString(36)}`,
          journal: { root: m.journal },
          corpus: { components: m.components, processDocs: join(EXAMPLES, 'process_docs'), toolExamples: join(root, 'no-tool-examples'), trainai: join(EXAMPLES, 'trainai'), optional: ['toolExamples'] },
        },
      }),
    );
  });
  afterAll(() => {
    m?.cleanup();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('index corpus: Failed counts the PDCAs it could not index; aliases and ignored links are counts; an optional folder is skipped', async () => {
    const r = await web4(root, 'index', 'corpus');
    expect(r.code, r.err + r.out).toBe(0);
    const journal = r.out.slice(r.out.indexOf('→ pdca_historical'));
    expect(journal).toMatch(/Failed:\s+2 ⚠️/);
    expect(journal).toContain(`Links:     ${MESSY_EXPECTED.aliases.length} aliases (indexed under their real path), ${MESSY_EXPECTED.ignored.length} ignored`);
    expect(journal).toContain('[broken_link] symlink target missing');
    expect(journal).toContain('Not followed: 2 folder links');
    expect(r.out).toContain(`tool_examples: folder ${join(root, 'no-tool-examples')} does not exist; skipped (optional in rag.corpus.optional)`);
    const failedLines = readFileSync(join(root, 'logs/daily_indexing.log'), 'utf8').split('\n').filter((l) => l.includes('FAILED'));
    expect(failedLines).toHaveLength(3); // the two PDCA links and the component file outside its folder
  });

  it('index daily --json: the same counts for scripts', async () => {
    const r = await web4(root, 'index', 'daily', '--date', '2026-11-25', '--json');
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as { indexed: number; failed: number; aliases: number; files: Array<{ status: string; kind?: string }> };
    expect(report.indexed).toBe(3);
    expect(report.failed).toBe(2);
    expect(report.files.filter((f) => f.status === 'failed').map((f) => f.kind)).toEqual(['broken_link', 'outside_root']);
    expect(report.aliases).toBe(1);
  });
});
