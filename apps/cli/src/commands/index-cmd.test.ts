import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const examples = join(repo, 'examples');
let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'web4-cli-index-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function web4(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // No Chroma is configured or running for these: a missing folder must stop the command before it needs one.
    const child = spawn(process.execPath, [join(repo, 'tools/web4.mjs'), ...args, '--root', root], {
      cwd: repo,
      env: { ...process.env, WEB4_SERVICES__CHROMA__URL: 'http://127.0.0.1:9', HOME: root },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const config = (corpus: Record<string, unknown> = {}) =>
  writeFileSync(
    join(root, 'web4.config.json'),
    JSON.stringify({
      rag: {
        journal: { root: join(examples, 'journal') },
        corpus: { components: join(examples, 'components'), processDocs: join(examples, 'process_docs'), toolExamples: join(examples, 'tool_examples'), trainai: join(examples, 'trainai'), ...corpus },
      },
    }),
  );

/** Exit codes cron can trust: a mistyped folder is exit 2 with what to fix, never "0, nothing indexed". */
describe('web4 index with folders that do not exist', () => {
  it('index corpus --journal DIR: exit 2 naming the option and the path', async () => {
    config();
    const r = await web4(['index', 'corpus', '--journal', join(root, 'jornal')]);
    expect(r.code, r.stderr + r.stdout).toBe(2);
    expect(r.stderr).toContain(`--journal ${join(root, 'jornal')} does not exist`);
    expect(existsSync(join(root, 'logs/daily_indexing.log'))).toBe(false); // stopped before indexing anything
  }, 60_000);

  it('index corpus with a configured folder that does not exist: exit 2 naming the setting and how to mark it optional', async () => {
    config({ components: join(root, 'componets') });
    const r = await web4(['index', 'corpus', '--json']);
    expect(r.code, r.stderr + r.stdout).toBe(2);
    const error = JSON.parse(r.stdout) as { error: string; message: string; hint: string };
    expect(error.error).toBe('bad_input');
    expect(error.message).toContain(`rag.corpus.components = ${join(root, 'componets')} does not exist`);
    expect(error.hint).toContain('"optional": ["components"');
  }, 60_000);

  it('index daily --journal DIR: exit 2', async () => {
    config();
    const r = await web4(['index', 'daily', '--date', '2026-11-25', '--journal', join(root, 'jornal')]);
    expect(r.code, r.stderr + r.stdout).toBe(2);
    expect(r.stderr).toContain(`--journal ${join(root, 'jornal')} does not exist`);
    expect(existsSync(join(root, 'logs/daily_indexing.log'))).toBe(false);
  }, 60_000);
});
