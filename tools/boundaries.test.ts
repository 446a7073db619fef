import { execFileSync } from 'node:child_process';
import { ESLint } from 'eslint';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const RULE = '@nx/enforce-module-boundaries';

async function boundaryMessages(code: string, filePath: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: repo });
  const [result] = await eslint.lintText(code, { filePath: join(repo, filePath) });
  return (result?.messages ?? []).filter((m) => m.ruleId === RULE).map((m) => m.message);
}

describe('module boundaries (Nx tags type:* and scope:*)', () => {
  // The rule reads Nx's cached project graph; compute it as `nx lint` would.
  beforeAll(() => {
    execFileSync(process.execPath, [join(repo, 'node_modules/nx/dist/bin/nx.js'), 'show', 'projects'], { cwd: repo, env: { ...process.env, NX_DAEMON: 'false' }, stdio: 'ignore' });
  }, 120_000);

  it('rejects a library importing an app', async () => {
    const messages = await boundaryMessages("import { commands } from '@web4/app-cli';\nexport const x = commands;\n", 'libs/alerting/src/violation.ts');
    expect(messages.length).toBeGreaterThan(0);
  });

  it('rejects a library reaching into another library by relative path', async () => {
    const messages = await boundaryMessages("import { x } from '../../metrics-store/src/index.js';\nexport const y = x;\n", 'libs/core/src/violation.ts');
    expect(messages.length).toBeGreaterThan(0);
  });

  it('rejects a shared library importing a higher scope (alerting -> scheduling)', async () => {
    const messages = await boundaryMessages("import * as sched from '@web4/scheduling';\nexport const s = sched;\n", 'libs/alerting/src/violation.ts');
    expect(messages).toEqual(['A project tagged with "scope:shared" can only depend on libs tagged with "scope:shared"']);
  });

  it('rejects a retrieval library importing the learning scope (rag-tiers -> rollback)', async () => {
    const messages = await boundaryMessages("import * as r from '@web4/rollback';\nexport const s = r;\n", 'libs/rag-tiers/src/violation.ts');
    expect(messages).toEqual(['A project tagged with "scope:retrieval" can only depend on libs tagged with "scope:shared", "scope:retrieval"']);
  });

  it('accepts a learning library importing a lower scope (rollback -> metrics-store)', async () => {
    const messages = await boundaryMessages("import * as m from '@web4/metrics-store';\nexport const s = m;\n", 'libs/rollback/src/ok.ts');
    expect(messages).toEqual([]);
  });

  it('accepts an app importing a library through its package entry', async () => {
    const messages = await boundaryMessages("import { loadConfig } from '@web4/core';\nexport const f = loadConfig;\n", 'apps/cli/src/ok.ts');
    expect(messages).toEqual([]);
  });

  it('holds across the whole workspace', async () => {
    const eslint = new ESLint({ cwd: repo });
    const results = await eslint.lintFiles(['libs/*/src/**/*.ts', 'apps/*/src/**/*.ts']);
    const violations = results.flatMap((r) => r.messages.filter((m) => m.ruleId === RULE).map((m) => `${r.filePath}:${m.line} ${m.message}`));
    expect(violations).toEqual([]);
  }, 120_000);
});
