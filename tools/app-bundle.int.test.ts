import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLES = join(REPO, 'examples');
// Inside the repository: the bundle loads its third-party packages from node_modules.
const outdir = join(REPO, 'dist', 'test-bundles', `cli-${process.pid}`);
const root = mkdtempSync(join(tmpdir(), 'web4-bundle-'));
afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});

/**
 * The built CLI is what cron runs: it must find the embedding pool's worker next to itself and
 * end when its work ends (idle worker processes must not keep it alive).
 */
describe('the built CLI bundle', () => {
  it('indexes the example corpus with its embedding worker processes, then exits', async () => {
    execFileSync(process.execPath, [join(REPO, 'tools/build-app.mjs'), 'cli', '--outdir', outdir], { cwd: REPO, stdio: 'pipe' });
    expect(existsSync(join(outdir, 'main.js'))).toBe(true);
    expect(existsSync(join(outdir, 'embed-worker.js'))).toBe(true);
    mkdirSync(root, { recursive: true });
    writeFileSync(
      join(root, 'web4.config.json'),
      JSON.stringify({
        models: { embedding: { workers: 2 } },
        rag: {
          chromaDatabase: `bundle_${process.pid}_${Date.now().toString(36)}`,
          journal: { root: join(EXAMPLES, 'journal') },
          corpus: { components: join(EXAMPLES, 'components'), processDocs: join(EXAMPLES, 'process_docs'), toolExamples: join(EXAMPLES, 'tool_examples'), trainai: join(EXAMPLES, 'trainai') },
        },
      }),
    );
    const started = Date.now();
    const result = await new Promise<{ code: number; out: string; err: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(outdir, 'main.js'), 'index', 'corpus', '--json', '--root', root],
        { encoding: 'utf8', env: { ...process.env, WEB4_SERVICES__CHROMA__URL: process.env.WEB4_SERVICES__CHROMA__URL ?? inject('chromaUrl') }, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: stdout, err: stderr }),
      );
    });
    expect(result.code, result.err).toBe(0);
    const reports = (JSON.parse(result.out) as { reports: Array<{ collection: string; indexed: number; embedded: number }> }).reports;
    const hist = reports.find((r) => r.collection === 'pdca_historical')!;
    expect(hist.indexed).toBeGreaterThan(60);
    expect(hist.embedded).toBeGreaterThan(100);
    // It ended by itself, well before the timeout above would have killed it.
    expect(Date.now() - started).toBeLessThan(280_000);
  }, 320_000);
});
