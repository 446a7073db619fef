// Embedding throughput: all-MiniLM-L6-v2 in Node (transformers.js + onnxruntime) in four setups
// (fp32, int8, int8 in the worker pool, q8) against Python sentence-transformers (torch, CPU) on
// the same texts, same machine, same run. Every text fills the 256-token window. Medians of several runs.
//   tsx libs/rag-tiers/src/embedding/embedding.bench.ts [--texts 128] [--reps 5]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, resolvePaths } from '@web4/core';
import { assetLayout, repoRoot, venvPython } from '@web4/local-services';
import { createEmbedder } from './create-embedder.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const count = arg('texts', 128);
const reps = arg('reps', 5);
const here = dirname(fileURLToPath(import.meta.url));
const { config } = loadConfig();
const paths = resolvePaths(config);
const layout = assetLayout(paths.cacheDir);

const words = 'adapter canary rollback latency index buffer chroma graph metadata training epoch loss query feedback promote candidate production nightly morning validation pdca plan do check act component process framework tool example history retrieval tier cache embedding vector'.split(' ');
// Deterministic, varied, ~330 words each: longer than 256 tokens, so every text fills the window.
const texts = Array.from({ length: count }, (_, t) =>
  Array.from({ length: 330 }, (_, i) => words[(t * 7 + i * 13 + ((i * i) % 11)) % words.length]).join(' '),
);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Python sentence-transformers kept loaded in one process; each `run()` encodes all texts once. */
async function startPython(): Promise<{ run(): Promise<{ seconds: number; threads: number }>; stop(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'web4-emb-bench-'));
  const file = join(dir, 'texts.json');
  writeFileSync(file, JSON.stringify(texts));
  const child = spawn(venvPython(repoRoot()), [join(here, 'reference_embed.py'), layout.embeddingModelDir, 'serve', file], {
    env: { ...process.env, HF_HUB_OFFLINE: '1' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw new Error('reference_embed.py ended early (see its error above)');
    return JSON.parse(line.value) as { seconds: number; threads: number };
  };
  await next(); // ready
  return {
    run: async () => {
      child.stdin!.write('run\n');
      return next();
    },
    stop: () => {
      child.stdin!.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Interleave the three systems rep by rep, so a burst of load from other work on this shared
// machine hits all of them alike; the figure for each is its median.
const python = await startPython();
// In this process with all cores on one inference (how queries run), and the worker pool (how
// indexing runs: one single-threaded model per core). batchSize 1: the measured best on CPU.
const variants = {
  fp32: { dtype: 'fp32', workers: 0 },
  int8: { dtype: 'int8', workers: 0 },
  int8_pool: { dtype: 'int8', workers: 'auto' },
  q8: { dtype: 'q8', workers: 0 },
} as const;
type Variant = keyof typeof variants;
const names = Object.keys(variants) as Variant[];
const embedders = Object.fromEntries(
  names.map((name) => [name, createEmbedder({ models: { ...config.models, embedding: { ...config.models.embedding, ...variants[name], batchSize: 1 } } }, paths)]),
) as Record<Variant, ReturnType<typeof createEmbedder>>;
for (const e of Object.values(embedders)) await e.embed(texts.slice(0, 32)); // load + warm-up
const rates: Record<'python' | Variant, number[]> = { python: [], fp32: [], int8: [], int8_pool: [], q8: [] };
let threads = 0;
for (let r = 0; r < reps; r++) {
  const p = await python.run();
  threads = p.threads;
  rates.python.push(texts.length / p.seconds);
  for (const name of names) {
    const t0 = performance.now();
    await embedders[name].embed(texts);
    rates[name].push(texts.length / ((performance.now() - t0) / 1000));
  }
}
python.stop();
for (const e of Object.values(embedders)) await e.dispose();

const baseline = median(rates.python);
for (const name of names) {
  const value = median(rates[name]);
  const ratio = value / baseline;
  console.log(JSON.stringify({
    bench: `rag-tiers.embedding_${name}`,
    value: Math.round(value * 10) / 10,
    unit: 'texts/s (256 tokens each)',
    baseline: Math.round(baseline * 10) / 10,
    baseline_name: `Python sentence-transformers fp32 (torch CPU, ${threads} threads, batch 32)`,
    ratio: Math.round(ratio * 100) / 100,
    target: '>= 1.0x',
    pass: ratio >= 1.0,
  }));
}
