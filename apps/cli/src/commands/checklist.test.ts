import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addDays, loadConfig, resolvePaths, resolveStatePath } from '@web4/core';
import { FeedbackStore, MetricsStore, QueryLogger } from '@web4/metrics-store';
import type { IndexingReport } from '@web4/pdca-indexer';
import { Crontab, planSchedule, resolveJobRunner } from '@web4/scheduling';
import { afterAll, describe, expect, it } from 'vitest';
import { buildChecklist, REQUIRED_DOCS, type Checklist, type ChecklistStatus } from './checklist.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function tempRoot(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

/** Runs `web4 checklist` as a user would, through tools/web4.mjs. */
function cli(root: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(REPO, 'tools/web4.mjs'), 'checklist', '--root', root, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 }, (error, out, err) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out, err }),
    );
  });
}

/**
 * A `crontab` program that keeps the table in a file (`-l` prints it, `-` replaces it), so the real
 * Crontab code installs and reads a block without touching this user's table.
 */
function fakeCrontab(dir: string): { program: string; table: string } {
  const table = join(dir, 'crontab.txt');
  const program = join(dir, 'crontab');
  writeFileSync(program, `#!/bin/sh\nif [ "$1" = "-l" ]; then [ -f '${table}' ] || { echo "no crontab for $(id -un)" >&2; exit 1; }; cat '${table}'; exit 0; fi\nif [ "$1" = "-" ]; then cat > '${table}'; exit 0; fi\nexit 2\n`);
  chmodSync(program, 0o755);
  return { program, table };
}

const statuses = (c: Checklist): Record<string, ChecklistStatus> => Object.fromEntries(c.items.map((i) => [i.id, i.status]));

describe('web4 checklist on a fresh state root', () => {
  it('marks almost everything ✗ with the command that moves it forward, creates nothing, exits 1; --json has the documented shape', async () => {
    const root = tempRoot('web4-checklist-fresh-');
    const { program } = fakeCrontab(tempRoot('web4-checklist-cron-'));
    const { config } = loadConfig({ root, env: {} });
    const c = await buildChecklist({ config, paths: resolvePaths(config), configFile: join(root, 'web4.config.json'), now: new Date(), repo: REPO, crontab: new Crontab({ command: program }) });
    expect(statuses(c)).toEqual({
      'production-model': 'fail',
      'three-tiers': 'fail',
      ollama: 'fail',
      monitoring: 'fail',
      'query-logging': 'fail',
      'daily-reports': 'fail',
      feedback: 'fail',
      'daily-indexing': 'fail',
      'evening-loop': 'fail',
      backups: 'fail',
      canaries: 'fail',
      'rollback-tested': 'fail',
      cron: 'fail',
      alerts: 'warn',
      'rag-optimized': 'fail',
      cache: 'fail',
      docs: 'ok',
      targets: 'fail',
      'training-first': 'warn',
      satisfaction: 'warn',
      'nightly-improvement': 'fail',
    });
    const fix = (id: string) => c.items.find((i) => i.id === id)!.fix ?? '';
    expect(fix('ollama')).toBe('web4 services up');
    expect(fix('evening-loop')).toBe('web4 index daily && web4 evening run');
    expect(fix('cron')).toMatch(/web4 schedule install/);
    expect(fix('rag-optimized')).toMatch(/web4 rag optimize --apply/);
    expect(fix('backups')).toBe('web4 rag backup');
    expect(fix('canaries')).toContain(join(REPO, 'examples/canary/cases.yaml'));
    expect(fix('rollback-tested')).toMatch(/web4 model rollback/);
    expect(c.items.filter((i) => i.status !== 'ok').every((i) => i.fix)).toBe(true);
    expect(c.items.find((i) => i.id === 'docs')!.fix).toBeUndefined();
    expect(c.counts).toEqual({ ok: 1, warn: 3, fail: 17 });
    expect(c.complete).toBe(false);
    // A check reads; it does not create the databases it looks for.
    expect(existsSync(join(root, 'logs'))).toBe(false);

    // As in the in-process check above: no service URLs from the test run's environment.
    const noServices = { WEB4_SERVICES__OLLAMA__URL: undefined, WEB4_SERVICES__CHROMA__URL: undefined };
    const run = await cli(root, ['--json'], noServices);
    expect(run.code).toBe(1);
    const json = JSON.parse(run.out) as Checklist;
    expect(Object.keys(json).sort()).toEqual(['checkedAt', 'complete', 'counts', 'items', 'stateRoot']);
    expect(json.stateRoot).toBe(root);
    expect(json.items).toHaveLength(21);
    for (const i of json.items) {
      expect(Object.keys(i).filter((k) => k !== 'fix').sort()).toEqual(['detail', 'id', 'section', 'status', 'title']);
      expect(['prerequisites', 'phase4', 'success']).toContain(i.section);
    }
    expect(json.items.filter((i) => i.section === 'prerequisites').map((i) => i.id)).toEqual(['production-model', 'three-tiers', 'ollama']);

    const text = await cli(root, [], noServices);
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/^Prerequisites$/m);
    expect(text.out).toMatch(/^Phase 4 completion checklist$/m);
    expect(text.out).toMatch(/^Success criteria$/m);
    expect(text.out).toMatch(/✗  Evening loop created and run at least once +no night recorded yet\n +→ web4 index daily && web4 evening run/);
    expect(text.out).toMatch(/✓  Runbooks and training material present/);
    expect(text.out).toMatch(/⚠️ Alerts configured/);
    expect(text.out).toMatch(/1 ✓, 3 ⚠️, 17 ✗ of 21: run the commands marked →\.$/m);
  }, 180_000);

  it('documents its exit codes in --help', async () => {
    const help = await new Promise<string>((resolve) => execFile(process.execPath, [join(REPO, 'tools/web4.mjs'), 'checklist', '--help'], { encoding: 'utf8' }, (_e, out) => resolve(out)));
    expect(help).toMatch(/Exit 0 every item ✓, 1 any ⚠️ or ✗, 2 bad config/);
  });
});

describe('web4 checklist on a root with records written by the real writers', () => {
  it('turns the matching items ✓: queries, daily reports, feedback, indexing, tier backup, cache, cron block, tuned RAG, mornings', async () => {
    // Loaded like the CLI loads them (on use): they bring the embedding runtime.
    const { appendIndexingLog } = await import('@web4/pdca-indexer');
    const { MetadataTier, applyFusion, applyNResults, backupTiers } = await import('@web4/rag-tiers');
    const root = tempRoot('web4-checklist-used-');
    const cron = fakeCrontab(tempRoot('web4-checklist-cron-'));
    const configFile = join(root, 'web4.config.json');
    writeFileSync(configFile, JSON.stringify({ validation: { canaryFile: join(REPO, 'examples/canary/cases.yaml') } }, null, 2));
    const { config } = loadConfig({ root, env: {} });
    const paths = resolvePaths(config);
    const now = new Date();

    // 20 queries today, in every target's band: 11 pure trained (55 %), 2 history (10 %), 6 tools (30 %), 1 TrainAI (5 %).
    const logger = QueryLogger.open(paths.metricsDb);
    for (let i = 0; i < 20; i++) logger.log({ queryType: 'chat', latencyMs: 400 + i * 10, usedHistory: i < 2, usedTools: i >= 2 && i < 8, usedTrainai: i === 8, tokensGenerated: 100 });
    logger.close();
    // Five thumbs up.
    const feedback = FeedbackStore.open(paths.feedbackDb);
    for (let i = 0; i < 5; i++) feedback.add({ query: `q${i}`, response: `a${i}`, rating: 'up' });
    feedback.close();
    // Three mornings, each passing.
    const store = MetricsStore.open(paths.metricsDb);
    for (const d of [-2, -1, 0]) store.validations.record({ model: 'web4-agent:latest', passed: true, totalCases: 22, passedCases: 19, runAt: addDays(now, d), modelVersion: 'base' });
    store.close();
    // Today's indexing, as `web4 index daily` appends it.
    const day = now.toISOString().slice(0, 10);
    const report = { collection: 'daily_buffer', found: 2, indexed: 2, unchanged: 0, failed: 0, skipped: 0, aliases: 0, ignored: 0, chunks: 6, embedded: 6, reusedEmbeddings: 0, settingsChanged: 0, durationMs: 900, files: [] } as unknown as IndexingReport;
    appendIndexingLog(join(paths.logsDir, 'daily_indexing.log'), `daily ${day}`, [report], now);
    // Cache lookups recorded by retrieval, then the tiers backed up as `web4 rag backup` does.
    const metadata = MetadataTier.open(resolveStatePath(config, config.rag.metadataDb));
    metadata.appendAccess([{ pdcaId: 'journal/a.md', at: now.toISOString(), hit: false }, { pdcaId: 'journal/a.md', at: now.toISOString(), hit: true }]);
    await metadata.close();
    await backupTiers(config, join(dirname(paths.backupsDir), 'rag'), now); // the default of `web4 rag backup`
    // `rag optimize --apply` writes both settings into the config file.
    applyNResults(configFile, { pdca_historical: 3 });
    applyFusion(configFile, { k: 60, weights: { chroma: 1, lexical: 1, graph: 0.5, metadata: 0.5 } });
    // The crontab block, installed by the real Crontab code into the fake table.
    const reloaded = loadConfig({ root, env: {} }).config;
    new Crontab({ command: cron.program }).install(planSchedule(reloaded, { runner: resolveJobRunner(REPO, 'source'), configFile }));
    expect(readFileSync(cron.table, 'utf8')).toContain(`# BEGIN web4-learning ${root}`);

    const c = await buildChecklist({ config: reloaded, paths, configFile, now, repo: REPO, crontab: new Crontab({ command: cron.program }) });
    const s = statuses(c);
    for (const id of ['monitoring', 'query-logging', 'daily-reports', 'feedback', 'daily-indexing', 'backups', 'cron', 'rag-optimized', 'cache', 'docs', 'targets', 'training-first', 'satisfaction', 'nightly-improvement']) {
      expect({ id, status: s[id], detail: s[id] === 'ok' ? '' : c.items.find((i) => i.id === id)!.detail }).toEqual({ id, status: 'ok', detail: '' });
    }
    // What only a real night, a rollback drill and running services give stays as it was (the runbook test of docs/team_training.md plays them).
    expect(s).toMatchObject({ 'evening-loop': 'fail', 'rollback-tested': 'fail', canaries: 'warn', ollama: 'fail', alerts: 'warn' });
    const detail = (id: string) => c.items.find((i) => i.id === id)!.detail;
    expect(detail('canaries')).toMatch(/^\d+ cases in .*examples\/canary\/cases\.yaml; no night has run them yet$/);
    expect(detail('query-logging')).toBe(`queries recorded from ${day} to ${day}`);
    expect(detail('cache')).toMatch(/2 recorded lookups \(1 hits, 50\.0%\), 1 distinct PDCAs/);
    expect(detail('nightly-improvement')).toMatch(/^3 morning checks in the last 7 days \(3 passed; latest /);
    expect(detail('cron')).toMatch(/4\/4 jobs/);

    // A job edited by hand (another time) is out of date: ⚠️ with the command that rewrites the block.
    writeFileSync(cron.table, readFileSync(cron.table, 'utf8').replace(/^0 22 \* \* \* /m, '30 23 * * * '));
    const edited = await buildChecklist({ config: reloaded, paths, configFile, now, repo: REPO, crontab: new Crontab({ command: cron.program }) });
    expect(edited.items.find((i) => i.id === 'cron')).toMatchObject({ status: 'warn', fix: 'web4 schedule install (replaces the block in place)' });
    expect(edited.items.find((i) => i.id === 'cron')!.detail).toMatch(/not as configured: evening-loop$/);
  }, 120_000);

  it('reports a damaged database as the ✗ of the items that read it, with the fix, and checks the rest', async () => {
    const root = tempRoot('web4-checklist-corrupt-');
    mkdirSync(join(root, 'logs'), { recursive: true });
    writeFileSync(join(root, 'logs/production_metrics.db'), 'this is not a database');
    const { config } = loadConfig({ root, env: {} });
    const { program } = fakeCrontab(tempRoot('web4-checklist-cron-'));
    const c = await buildChecklist({ config, paths: resolvePaths(config), configFile: undefined, now: new Date(), repo: REPO, crontab: new Crontab({ command: program }) });
    for (const id of ['monitoring', 'query-logging', 'evening-loop', 'rollback-tested', 'targets', 'nightly-improvement']) {
      const i = c.items.find((x) => x.id === id)!;
      expect({ id, status: i.status }).toEqual({ id, status: 'fail' });
      expect(i.detail).toContain('production_metrics.db');
      expect(i.fix).toMatch(/mv /);
    }
    expect(c.items).toHaveLength(21);
    expect(readFileSync(join(root, 'logs/production_metrics.db'), 'utf8')).toBe('this is not a database');
  });

  it('names the runbooks it expects', () => {
    expect(REQUIRED_DOCS).toContain('docs/team_training.md');
    expect(REQUIRED_DOCS).toContain('docs/maintenance.md');
  });
});
