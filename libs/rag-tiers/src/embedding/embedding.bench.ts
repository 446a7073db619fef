// Embedding throughput: all-MiniLM-L6-v2 in Node (transformers.js + onnxruntime, fp32 and q8)
// against Python sentence-transformers (torch, CPU) on the same texts, same machine, same run.
// Batch 32, every text long enough to fill the 256-token window. Medians of several runs.
//   tsx libs/rag-tiers/src/embedding/embedding.bench.ts [--texts 128] [--reps 3]
import { spawnSync } from 'node:child_process';
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
const reps = arg('reps', 3);
const here = dirname(fileURLToPath(import.meta.url));
const { config } = loadConfig({ env: {} });
const paths = resolvePaths(config);
const layout = assetLayout(paths.cacheDir);

const words = 'adapter canary rollback latency index buffer chroma graph metadata training epoch loss query feedback promote candidate production nightly morning validation pdca plan do check act component process framework tool example history retrieval tier cache embedding vector'.split(' ');
// Deterministic, varied, ~330 words each: longer than 256 tokens, so every text fills the window.
const texts = Array.from({ length: count }, (_, t) =>
  Array.from({ length: 330 }, (_, i) => words[(t * 7 + i * 13 + ((i * i) % 11)) % words.length]).join(' '),
);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function nodeThroughput(dtype: 'fp32' | 'q8'): Promise<number> {
  const embedder = createEmbedder({ models: { ...config.models, embedding: { ...config.models.embedding, dtype, batchSize: 32 } } }, paths);
  await embedder.embed(texts.slice(0, 32)); // load + warm-up
  const rates: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await embedder.embed(texts);
    rates.push(texts.length / ((performance.now() - t0) / 1000));
  }
  await embedder.dispose();
  return median(rates);
}

function pythonThroughput(): { rate: number; threads: number } {
  const r = spawnSync(venvPython(repoRoot()), [join(here, 'reference_embed.py'), layout.embeddingModelDir, 'bench', String(reps)], {
    input: JSON.stringify(texts),
    encoding: 'utf8',
    env: { ...process.env, HF_HUB_OFFLINE: '1' },
  });
  if (r.status !== 0) throw new Error(`reference_embed.py bench failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { texts_per_s: number; threads: number };
  return { rate: out.texts_per_s, threads: out.threads };
}

const python = pythonThroughput();
for (const dtype of ['fp32', 'q8'] as const) {
  const value = await nodeThroughput(dtype);
  const ratio = value / python.rate;
  console.log(JSON.stringify({
    bench: `rag-tiers.embedding_${dtype}`,
    value: Math.round(value * 10) / 10,
    unit: 'texts/s (batch 32, 256 tokens)',
    baseline: Math.round(python.rate * 10) / 10,
    baseline_name: `Python sentence-transformers (torch CPU, ${python.threads} threads)`,
    ratio: Math.round(ratio * 100) / 100,
    target: '>= 1.0x',
    pass: ratio >= 1.0,
  }));
}
