import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWebhookReceiver, type WebhookReceiver } from '@web4/alerting/test-support';
import { FixedClock, loadConfig, resolvePaths, type Web4Config } from '@web4/core';
import { MetricsReader, MetricsStore } from '@web4/metrics-store';
import { Ollama } from 'ollama';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { formatMorningHistory, morningHistory } from './morning-history.js';
import { formatMorningSummary, formatQueryLine, validateServedModel, type MorningValidation } from './morning-validation.js';

/**
 * Three mornings against the real Ollama: two of them with version 1 in production (the base
 * model under this deployment's names), the third with version 2, a copy of the same weights
 * whose Modelfile stops every answer at its first vowel, so its answers lose their substance.
 * The drop reaches a real HTTP webhook receiver through the configured Slack channel.
 */
const ollamaUrl = process.env.WEB4_SERVICES__OLLAMA__URL ?? inject('ollamaUrl');
const root = mkdtempSync(join(tmpdir(), 'web4-morning-'));
const deployment = `web4-morning-test-${process.pid}`;
const V1 = 'v20261127_220000';
const V2 = 'v20261129_220000';
const client = new Ollama({ host: ollamaUrl });
let receiver: WebhookReceiver;
let config: Web4Config;

const queries = join(root, 'queries.yaml');
writeFileSync(
  queries,
  `version: 1
defaults:
  system: You are the Web4 coding agent. Answer briefly and in plain English.
  options: { temperature: 0, num_predict: 40 }
queries:
  - id: mq-symlink
    context: "Symbolic links are followed only when the target is inside the journal root."
    prompt: Will a symlink to /home/alice/private be indexed?
    assertions: [{ type: non-empty }, { type: regex, value: "\\\\bno\\\\b|not|outside|skip", flags: i }]
  - id: mq-test-first
    context: "For a bug, first write a test that reproduces it and watch it fail, then fix the code."
    prompt: What is the first step when fixing a reported bug?
    assertions: [{ type: non-empty }, { type: regex, value: "test|reproduce", flags: i }]
  - id: mq-tiers
    context: "Retrieval has three tiers: Chroma vector collections, a SQLite graph of relationships, and SQLite metadata."
    prompt: Name the storage used by the retrieval tiers.
    assertions: [{ type: non-empty }, { type: regex, value: "chroma|sqlite|graph", flags: i }]
`,
);

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  writeFileSync(
    join(root, 'web4.config.json'),
    JSON.stringify({ deployment: { name: deployment }, alerts: { channels: ['slack', 'log'], slack: { webhookUrlEnv: 'WEB4_MORNING_TEST_WEBHOOK' }, attempts: 1 }, validation: { alertDropPct: 10 } }),
  );
  process.env.WEB4_MORNING_TEST_WEBHOOK = `${receiver.url}/services/T0/B0/morning`;
  config = loadConfig({ root, env: { ...process.env, WEB4_STATE_ROOT: root } }).config;
  // Version 1: the base weights under the version's own name; version 2: same weights, answers cut at the first vowel.
  await client.copy({ source: config.models.baseModel, destination: `${deployment}:${V1.replace(/_/g, '-')}` });
  await client.create({ model: `${deployment}:${V2.replace(/_/g, '-')}`, from: config.models.baseModel, parameters: { stop: ['a', 'e', 'i', 'o', 'u'] } });
}, 300_000);

afterAll(async () => {
  await receiver?.close();
  for (const tag of ['latest', V1.replace(/_/g, '-'), V2.replace(/_/g, '-')]) await client.delete({ model: `${deployment}:${tag}` }).catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

/** Put `version` in production as the nightly loop does: the tag in Ollama and in the registry. */
async function promote(version: string): Promise<void> {
  await client.copy({ source: `${deployment}:${version.replace(/_/g, '-')}`, destination: config.models.productionModel });
  const store = MetricsStore.open(resolvePaths(config).metricsDb);
  try {
    store.models.recordVersion({ version, dir: join(root, 'outputs', version), runId: null, parentVersion: null, samples: 1, trainLoss: null, details: {}, ollamaName: `${deployment}:${version.replace(/_/g, '-')}`, manifestSha256: 'test' });
    store.models.apply({ tags: { latest: version }, versions: [{ version, state: 'promoted' }] });
  } finally {
    store.close();
  }
}

async function morning(day: string): Promise<{ result: MorningValidation; lines: string[] }> {
  const lines: string[] = [];
  const result = await validateServedModel(config, { ollamaUrl, queriesFile: queries, clock: new FixedClock(`${day}T09:00:00Z`), onCase: (r, i, n) => lines.push(formatQueryLine(r, i, n)) });
  return { result, lines: [...lines, ...formatMorningSummary(result)] };
}

describe('the morning check over three mornings and two versions (real Ollama, real webhook)', () => {
  it('records each morning with its version, shows the trend, lists flipped queries and alerts on the drop', async () => {
    await promote(V1);
    const day1 = await morning('2026-11-28');
    expect(day1.result.model).toBe(config.models.productionModel);
    expect(day1.result.modelVersion).toBe(V1);
    expect(day1.result.modelDigest).toMatch(/^[0-9a-f]{64}$|^sha256:/);
    expect(day1.result.passed, day1.lines.join('\n')).toBe(3);
    expect(day1.lines).toEqual(expect.arrayContaining([expect.stringMatching(/^Query 1\/3: ✓ Quality response — mq-symlink \(\d+ ms\)$/), 'Improvement Rate: 100.0% (3/3 quality responses, target ≥ 80%)']));
    expect(day1.result.trend.changePct).toBeNull();

    const day2 = await morning('2026-11-29');
    expect(day2.result).toMatchObject({ modelVersion: V1, passed: 3, trend: { previousDay: '2026-11-28', changePct: 0, flipped: [] }, alert: undefined });
    expect(receiver.bodies).toHaveLength(0);

    await promote(V2);
    const day3 = await morning('2026-11-30');
    expect(day3.result.modelVersion).toBe(V2);
    expect(day3.result.modelDigest).not.toBe(day1.result.modelDigest);
    expect(day3.result.pass).toBe(false);
    expect(day3.result.passed).toBeLessThan(2);
    expect(day3.lines.find((l) => l.startsWith('Query 2/3'))).toMatch(/⚠️ Weak response — mq-test-first/);
    expect(day3.result.trend.flipped.length).toBeGreaterThanOrEqual(2);
    expect(day3.result.alert?.delivered).toBe(true);

    // The alert, as the webhook received it: warn level, the rates, the versions and the flipped queries.
    expect(receiver.bodies).toHaveLength(1);
    const text = (JSON.parse(receiver.bodies[0]!.body) as { text: string }).text;
    expect(text).toContain('Morning Validation Alert: improvement rate fell from 100.0% to');
    expect(text).toContain(`version ${V2}`);
    expect(text).toContain(`version ${V1}`);
    expect(text).toContain(`Flipped from pass to fail: ${day3.result.trend.flipped.join(', ')}`);
    expect(readFileSync(join(root, 'logs', 'alerts.log'), 'utf8')).toContain('"level":"warn"');

    const store = MetricsReader.sqlite(resolvePaths(config).metricsDb);
    try {
      const history = await morningHistory(store, { days: 7, now: new Date('2026-11-30T12:00:00Z') });
      expect(history.map((d) => [d.day, d.modelVersion, d.passRatePct, d.changePct])).toEqual([
        ['2026-11-28', V1, 100, null],
        ['2026-11-29', V1, 100, 0],
        ['2026-11-30', V2, day3.result.passRatePct === 0 ? 0 : Math.round(day3.result.passRatePct * 10) / 10, Math.round((day3.result.passRatePct - 100) * 10) / 10],
      ]);
      expect(history[2]!.flipped).toEqual(day3.result.trend.flipped);
      const lines = formatMorningHistory(history);
      expect(lines[3]).toMatch(new RegExp(`^2026-11-30 .*−\\d+\\.\\d pt +${V2} \\([0-9a-f]{12}\\) +⚠️ [01]/3$`));
      expect(lines[4]).toBe(`            pass → fail since 2026-11-29: ${day3.result.trend.flipped.join(', ')}`);
      // Only the days in the window; the day before it is still the first day's comparison.
      expect((await morningHistory(store, { days: 1, now: new Date('2026-11-30T12:00:00Z') })).map((d) => [d.day, d.previousDay])).toEqual([['2026-11-30', '2026-11-29']]);
    } finally {
      await store.close();
    }
  }, 600_000);
});
