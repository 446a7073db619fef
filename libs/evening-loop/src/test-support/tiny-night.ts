import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FixedClock, loadConfig, resolvePaths, type StatePaths, type Web4Config } from '@web4/core';
import { MetricsStore } from '@web4/metrics-store';
import { indexDaily } from '@web4/pdca-indexer';
import { chromaTierFor, createEmbedder, openRag, type RagStack, type TextEmbedder } from '@web4/rag-tiers';
import { OllamaModels, uploadBlob } from '@web4/rollback';
import { locateTrainer } from '@web4/trainer-bridge';
import { inject } from 'vitest';
import { logFileAlerts } from '../alerts.js';
import { EveningLoop, type EveningLoopOptions } from '../evening-loop.js';
import { smallJournal, writeJournal, type TestPdca } from './journal.js';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** A canary file the tiny random model passes: it checks that the model answers at all, in time. */
export const TINY_CANARIES = `version: 1
defaults:
  options: { temperature: 0, num_predict: 6 }
cases:
  - id: tiny-01-answers
    prompt: Write the commit message for this change.
    assertions: [{ type: max-latency-ms, value: 120000 }]
  - id: tiny-02-answers
    prompt: What did the nightly loop learn?
    assertions: [{ type: max-latency-ms, value: 120000 }]
`;

let tinyModel: string | undefined;
let tinyBase: Promise<string> | undefined;
let embedder: TextEmbedder | undefined;
let fixtures = 0;

function services(): { chromaUrl: string; ollamaUrl: string } {
  const chromaUrl = process.env.WEB4_SERVICES__CHROMA__URL ?? inject('chromaUrl');
  const ollamaUrl = process.env.WEB4_SERVICES__OLLAMA__URL ?? inject('ollamaUrl');
  if (!chromaUrl || !ollamaUrl) throw new Error('No Chroma/Ollama for integration tests: tools/test/global-setup.ts starts them');
  return { chromaUrl, ollamaUrl };
}

/** The trainer's tiny random llama (seconds to train), written once per test process. */
export function tinyModelFolder(): string {
  if (tinyModel) return tinyModel;
  const { config } = loadConfig({ env: process.env });
  const where = locateTrainer(config.trainer, resolvePaths(config).cacheDir);
  const dir = join(mkdtempSync(join(tmpdir(), 'web4-tiny-night-model-')), 'tiny model');
  execFileSync(where.python, ['-m', 'web4_trainer', 'make-tiny-model', dir], { env: { ...process.env, PYTHONPATH: where.packageDir, HF_HUB_OFFLINE: '1' }, stdio: ['ignore', 'ignore', 'inherit'] });
  tinyModel = dir;
  return dir;
}

/**
 * The tiny model as the base model in the test run's Ollama (what production is before the
 * first promotion), with web4-base's chat template. Created once per test process.
 */
export function tinyBaseInOllama(ollamaUrl: string): Promise<string> {
  tinyBase ??= (async () => {
    const name = `web4-tiny-base-${process.pid}:latest`;
    const folder = tinyModelFolder();
    const files: Record<string, string> = {};
    for (const f of readdirSync(folder)) files[f] = (await uploadBlob(ollamaUrl, join(folder, f))).digest;
    const show = (await (await fetch(`${ollamaUrl}/api/show`, { method: 'POST', body: JSON.stringify({ model: 'web4-base:latest' }) })).json()) as { template?: string };
    const res = await fetch(`${ollamaUrl}/api/create`, { method: 'POST', body: JSON.stringify({ model: name, files, template: show.template, parameters: { stop: ['<|im_end|>'] }, stream: false }) });
    if (!res.ok) throw new Error(`creating ${name} failed: ${await res.text()}`);
    return name;
  })();
  return tinyBase;
}

export function sharedEmbedder(config: Web4Config): TextEmbedder {
  embedder ??= createEmbedder(config, resolvePaths(config));
  return embedder;
}

export interface TinyNightOptions {
  /** The journal to write; default 3 days × 2 PDCAs from 2026-11-20. */
  journal?: TestPdca[];
  canaries?: string;
  /** Extra settings for web4.config.json (merged one level deep into each section). */
  settings?: Record<string, Record<string, unknown>>;
}

export interface TinyNight {
  root: string;
  journal: string;
  repo: string;
  chromaUrl: string;
  ollamaUrl: string;
  config(): Web4Config;
  paths(): StatePaths;
  /** Index one day into the buffer, as `web4 index daily --date DAY` would. */
  index(day: string): Promise<void>;
  /** The nightly loop in this process, as of `day` 22:00 UTC. */
  loop(day: string, o?: Partial<EveningLoopOptions>): EveningLoop;
  /** The real CLI in a child process: `web4 <args> --root <root>`. */
  cli(args: string[], env?: Record<string, string>): Promise<{ code: number; out: string; err: string }>;
  rag(): RagStack;
  store(): MetricsStore;
  ollama: OllamaModels;
  cleanup(): Promise<void>;
}

/**
 * A fresh state root for nightly-loop tests on the real services and the real trainer, with the
 * tiny model as base (a night takes seconds): a generated journal in the real PDCA shape, its
 * own Chroma database, its own model names in Ollama, and a web4.config.json that the CLI reads.
 */
export async function tinyNight(o: TinyNightOptions = {}): Promise<TinyNight> {
  const { chromaUrl, ollamaUrl } = services();
  const root = mkdtempSync(join(tmpdir(), 'web4-night-'));
  const journal = join(root, 'journal');
  writeJournal(journal, o.journal ?? smallJournal('2026-11-20', 3, 2));
  writeFileSync(join(root, 'canaries.yaml'), o.canaries ?? TINY_CANARIES);
  const id = `${process.pid}-${++fixtures}-${Date.now().toString(36)}`;
  const repo = `web4-t${id}`;
  const base = await tinyBaseInOllama(ollamaUrl);
  const examples = join(REPO, 'examples');
  const settings: Record<string, Record<string, unknown>> = {
    services: { chroma: { url: chromaUrl }, ollama: { url: ollamaUrl } },
    models: { baseModel: base, productionModel: `${repo}:latest`, candidateModel: `${repo}:candidate`, previousModel: `${repo}:previous`, embedding: { workers: 0 } },
    rag: {
      chromaDatabase: `night_${id.replace(/-/g, '_')}`,
      journal: { root: journal },
      corpus: { components: join(examples, 'components'), processDocs: join(examples, 'process_docs'), toolExamples: join(examples, 'tool_examples'), trainai: join(examples, 'trainai') },
      relevanceSet: join(examples, 'queries/relevance.yaml'),
    },
    validation: { canaryFile: join(root, 'canaries.yaml'), queriesFile: join(examples, 'validation/challenging_queries.yaml') },
    trainer: { baseModel: tinyModelFolder(), learningRate: 0.01, warmupSteps: 0, minSteps: 2, maxEpochs: 2, batchSize: 2, gradAccumulation: 1, sampleCapChars: 1200, maxLength: 256, threads: 1, timeoutS: 300, quantize: '' },
    evening: { gates: { maxRetentionLossIncreasePct: 100, retentionSetSize: 2, canaryConcurrency: 2 } },
    logging: { level: 'info' },
  };
  for (const [section, values] of Object.entries(o.settings ?? {})) settings[section] = { ...(settings[section] ?? {}), ...values };
  writeFileSync(join(root, 'web4.config.json'), JSON.stringify(settings, null, 2));
  const config = () => loadConfig({ root, env: {} }).config;
  const paths = () => resolvePaths(config());
  let rag: RagStack | undefined;
  let store: MetricsStore | undefined;
  const ollama = new OllamaModels(ollamaUrl, 120_000);
  return {
    root,
    journal,
    repo,
    chromaUrl,
    ollamaUrl,
    config,
    paths,
    ollama,
    async index(day) {
      const c = config();
      const r = openRag(c, { embedder: sharedEmbedder(c), now: () => new Date(`${day}T18:00:00Z`) });
      try {
        await indexDaily(r, c, { date: day, now: () => new Date(`${day}T18:00:00Z`) });
      } finally {
        await r.close();
      }
    },
    loop(day, extra = {}) {
      const c = config();
      return new EveningLoop({
        config: c,
        paths: resolvePaths(c),
        clock: new FixedClock(`${day}T22:00:00Z`),
        ollamaUrl,
        openRag: async () => openRag(c, { embedder: sharedEmbedder(c) }),
        console: null,
        alerts: logFileAlerts(resolvePaths(c).logsDir),
        ...extra,
      });
    },
    cli(args, env = {}) {
      return new Promise((resolve) => {
        execFile(
          process.execPath,
          [join(REPO, 'tools/web4.mjs'), ...args, '--root', root],
          { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 600_000, maxBuffer: 32 * 1024 * 1024 },
          (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: stdout, err: stderr }),
        );
      });
    },
    rag() {
      rag ??= openRag(config(), { embedder: sharedEmbedder(config()) });
      return rag;
    },
    store() {
      store ??= MetricsStore.open(paths().metricsDb);
      return store;
    },
    async cleanup() {
      store?.close();
      await rag?.close();
      try {
        for (const name of (await ollama.digests()).keys()) if (name.startsWith(`${repo}:`)) await ollama.remove(name);
      } catch {
        // the test run's Ollama is stopped at the end anyway
      }
      await chromaTierFor(config(), chromaUrl).dropDatabase().catch(() => undefined);
      if (existsSync(root)) rmSync(root, { recursive: true, force: true });
    },
  };
}
