// Embedding throughput: all-MiniLM-L6-v2 in Node (transformers.js + onnxruntime, fp32 and q8)
// against Python sentence-transformers (torch, CPU) on the same texts, same machine, same run.
// Batch 32, every text long enough to fill the 256-token window. Medians of several runs.
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
const embedders = Object.fromEntries(
  (['fp32', 'q8'] as const).map((dtype) => [dtype, createEmbedder({ models: { ...config.models, embedding: { ...config.models.embedding, dtype, batchSize: 32 } } }, paths)]),
);
for (const e of Object.values(embedders)) await e.embed(texts.slice(0, 32)); // load + warm-up
const rates: Record<'python' | 'fp32' | 'q8', number[]> = { python: [], fp32: [], q8: [] };
let threads = 0;
for (let r = 0; r < reps; r++) {
  const p = await python.run();
  threads = p.threads;
  rates.python.push(texts.length / p.seconds);
  for (const dtype of ['fp32', 'q8'] as const) {
    const t0 = performance.now();
    await embedders[dtype]!.embed(texts);
    rates[dtype].push(texts.length / ((performance.now() - t0) / 1000));
  }
}
python.stop();
for (const e of Object.values(embedders)) await e.dispose();

const baseline = median(rates.python);
for (const dtype of ['fp32', 'q8'] as const) {
  const value = median(rates[dtype]);
  const ratio = value / baseline;
  console.log(JSON.stringify({
    bench: `rag-tiers.embedding_${dtype}`,
    value: Math.round(value * 10) / 10,
    unit: 'texts/s (batch 32, 256 tokens)',
    baseline: Math.round(baseline * 10) / 10,
    baseline_name: `Python sentence-transformers (torch CPU, ${threads} threads)`,
    ratio: Math.round(ratio * 100) / 100,
    target: '>= 1.0x',
    pass: ratio >= 1.0,
  }));
}
