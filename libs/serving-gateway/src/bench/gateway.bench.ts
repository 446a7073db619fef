/**
 * serving-gateway benchmarks: one JSON object per figure per line (DESIGN.md, Benchmarks), a ✓/⚠️
 * line per figure on stderr, exit 1 when a figure misses its target.
 *
 *   npx nx run serving-gateway:bench     (= node --min-semi-space-size=16 --import tsx libs/serving-gateway/src/bench/gateway.bench.ts:
 *   the gateways run in this process, with the flags `web4 gateway` gives them, tools/node-flags.mjs)
 *
 * 1. Capacity (`serving-gateway.capacity`): a closed loop of BENCH_CONCURRENCY (8) clients on
 *    kept-alive connections for BENCH_SECONDS (4) per round, against the gateway (in a process of
 *    its own, with its Prometheus metrics and query logger as deployed) in front of a local
 *    Ollama-API stand-in that answers at once; baseline: the same loop against the stand-in
 *    directly. Rounds alternate (baseline, gateway, …; 3 each) and the median round counts. Target
 *    ≥ 2,000 requests/s at p99 ≤ 10 ms. Before it, `serving-gateway.added_latency_p99.instant_upstream`:
 *    one client calling the gateway and the stand-in in turn (BENCH_SEQUENTIAL_PAIRS, 3,000), the
 *    gateway's added latency with no model time, beside the bench process's event-loop delay.
 *    Then `serving-gateway.capacity_rows`: the query_metrics
 *    rows in the gateway's SQLite file after it closed, against the requests it was sent (every
 *    request one row).
 * 2. Added latency against a real Ollama (the bench starts its own, and Chroma, on free ports, with
 *    the base model, and loads the example corpus): pairs of calls, one through the gateway and one
 *    straight to Ollama, interleaved, BENCH_PAIRS (100) for a pure-trained query (routing never) and
 *    BENCH_RETRIEVAL_PAIRS (100) with retrieval (routing always: every tier, the context in the
 *    prompt). Each call streams, answers at most BENCH_NUM_PREDICT (2) tokens, and starts with a
 *    unique system line so that Ollama's prompt cache never serves one call from another. The
 *    direct call sends exactly what the gateway sent Ollama (captured), with its own nonce. The
 *    context is capped at BENCH_CONTEXT_CHARS (800) characters (serving.maxContextChars): Ollama's
 *    time is subtracted anyway, and a full 3,000-character prompt takes a CPU model on a shared
 *    2-core machine a minute per call. Both
 *    arms pass a timing proxy in front of Ollama, so each call's Ollama span is known:
 *    added = (gateway call − its Ollama span) − (direct call − its Ollama span), which removes
 *    Ollama's own time and noise (p99 by nearest rank: of 100 pairs, the second largest).
 *    Targets: p99 ≤ 2 ms (pure trained), ≤ 20 ms (retrieval). The
 *    plain end-to-end difference of each pair is printed beside it.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadConfig, resolvePaths, resolveStatePath, type Web4Config } from '@web4/core';
import { assetLayout, ensureBaseGguf, ensureBaseModel, ensureOllamaBinary, LocalService, resolveNumThread } from '@web4/local-services';
import { MetricsStore } from '@web4/metrics-store';
import { indexCorpus } from '@web4/pdca-indexer';
import { createEmbedder, openRag } from '@web4/rag-tiers';
import { createGatewayRouting } from '../router/gateway-routing.js';
import { GatewayMetrics } from '../metrics.js';
import { loadRoutingExamples } from '../router/routing-examples.js';
import { startGateway } from '../server.js';
import { startOllamaStandIn } from '../test-support/ollama-stand-in.js';
import type { GatewayQueryEvent } from '../types.js';
import { closedLoop, type LoadResult, percentile, post } from './load.js';
import { startTimingProxy } from './timing-proxy.js';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 100);
const RETRIEVAL_PAIRS = Number(process.env.BENCH_RETRIEVAL_PAIRS ?? 100);
const NUM_PREDICT = Number(process.env.BENCH_NUM_PREDICT ?? 2);
const SEQUENTIAL_PAIRS = Number(process.env.BENCH_SEQUENTIAL_PAIRS ?? 3000);
let sentSequential = 0;
const CONTEXT_CHARS = Number(process.env.BENCH_CONTEXT_CHARS ?? 800);
/** capacity | latency (both latency parts) | pure | retrieval; default everything. */
const ONLY = process.env.BENCH_ONLY;

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;
let failed = false;
interface Figure {
  bench: string;
  value: number;
  unit: string;
  baseline: number;
  baseline_name: string;
  ratio: number;
  target: string;
  pass: boolean;
  [extra: string]: unknown;
}
function emit(f: Figure): void {
  if (!f.pass) failed = true;
  console.log(JSON.stringify(f));
  process.stderr.write(`${f.pass ? '✓' : '⚠️'}  ${f.bench}: ${f.value} ${f.unit} (target ${f.target}; baseline ${f.baseline} ${f.unit}, ${f.baseline_name})\n`);
}

const user = loadConfig({ env: process.env }).config;
const dir = mkdtempSync(join(tmpdir(), 'web4-bench-gateway-'));

try {
  if (ONLY === undefined || ONLY === 'capacity') await capacity();
  if (ONLY === undefined || ONLY === 'latency' || ONLY === 'pure' || ONLY === 'retrieval') await addedLatency();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

// ---------------------------------------------------------------------------------------------
async function capacity(): Promise<void> {
  const root = join(dir, 'capacity');
  const standIn = await startOllamaStandIn();
  const script = fileURLToPath(new URL('./gateway-process.ts', import.meta.url));
  rmSync(root, { recursive: true, force: true });
  const { mkdirSync } = await import('node:fs');
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'web4.config.json'), '{}');
  // A gateway process runs with the serving flags (tools/node-flags.mjs), as `web4 gateway` does.
  const child = spawn(process.execPath, ['--min-semi-space-size=16', '--import', 'tsx', script, JSON.stringify({ root, ollamaUrl: standIn.url })], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  const { url } = JSON.parse(String(first.value)) as { url: string };
  const body = JSON.stringify({ model: 'web4-base', stream: false, messages: [{ role: 'user', content: 'Say hello' }] });
  let sentToGateway = 0;
  const round_ = async (target: string): Promise<LoadResult> => {
    const r = await closedLoop(`${target}/api/chat`, body, { concurrency: CONCURRENCY, seconds: SECONDS });
    if (target === url) sentToGateway += r.requests;
    return r;
  };
  try {
    log(`capacity: gateway ${url} (pid ${child.pid}) → stand-in ${standIn.url}, ${CONCURRENCY} clients, ${SECONDS} s rounds`);
    await closedLoop(`${standIn.url}/api/chat`, body, { concurrency: CONCURRENCY, seconds: 1 });
    await round_(url); // warm-up (JIT, connections, SQLite file)
    await sequentialPairs(url, standIn.url, body);
    const direct: LoadResult[] = [];
    const gateway: LoadResult[] = [];
    for (let i = 0; i < 3; i++) {
      direct.push(await round_(standIn.url));
      gateway.push(await round_(url));
      log(`  round ${i + 1}: stand-in ${Math.round(direct.at(-1)!.perSecond)}/s p99 ${round(direct.at(-1)!.p99Ms)} ms; gateway ${Math.round(gateway.at(-1)!.perSecond)}/s p99 ${round(gateway.at(-1)!.p99Ms)} ms`);
    }
    const mid = (rs: LoadResult[]) => [...rs].sort((a, b) => a.perSecond - b.perSecond)[1]!;
    const d = mid(direct);
    const g = mid(gateway);
    emit({
      bench: 'serving-gateway.capacity',
      value: Math.round(g.perSecond),
      unit: 'requests/s',
      baseline: Math.round(d.perSecond),
      baseline_name: 'the Ollama-API stand-in called directly',
      ratio: round(d.perSecond / g.perSecond),
      target: '>= 2000 requests/s at p99 <= 10 ms',
      pass: g.perSecond >= 2000 && g.p99Ms <= 10 && g.failed === 0,
      p50_ms: round(g.p50Ms),
      p99_ms: round(g.p99Ms),
      baseline_p99_ms: round(d.p99Ms),
      concurrency: CONCURRENCY,
      failed: g.failed,
      rounds: gateway.map((r) => Math.round(r.perSecond)),
    });
  } finally {
    child.stdin!.end();
    await new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await standIn.close();
  }
  const store = MetricsStore.open(resolvePaths(loadConfig({ root, env: {} }).config).metricsDb);
  const rows = store.countQueries();
  store.close();
  sentToGateway += sentSequential;
  emit({
    bench: 'serving-gateway.capacity_rows',
    value: rows,
    unit: 'rows',
    baseline: sentToGateway,
    baseline_name: 'requests sent to the gateway',
    ratio: round(sentToGateway / Math.max(rows, 1), 4),
    target: 'one query_metrics row per request',
    pass: rows === sentToGateway,
  });
}

/**
 * The gateway's added latency with no model time at all: one client, calls in turn to the
 * gateway and to the stand-in directly (SEQUENTIAL_PAIRS pairs after 200 warm-up pairs). The
 * bench process's own event-loop delay over the same time is printed beside it: on a shared
 * machine a process waits for a core now and then, gateway or not.
 */
async function sequentialPairs(gatewayUrl: string, standInUrl: string, body: string): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const added: number[] = [];
  const direct: number[] = [];
  const loop = monitorEventLoopDelay({ resolution: 1 });
  for (let i = 0; i < SEQUENTIAL_PAIRS + 200; i++) {
    if (i === 200) loop.enable();
    const g = await post(`${gatewayUrl}/api/chat`, body, agent);
    const d = await post(`${standInUrl}/api/chat`, body, agent);
    if (g.status !== 200 || d.status !== 200) throw new Error(`sequential pairs: HTTP ${g.status} / ${d.status}`);
    if (i >= 200) {
      added.push(g.ms - d.ms);
      direct.push(d.ms);
    }
  }
  loop.disable();
  agent.destroy();
  sentSequential += SEQUENTIAL_PAIRS + 200;
  const p99 = percentile(added, 99);
  emit({
    bench: 'serving-gateway.added_latency_p99.instant_upstream',
    value: round(p99),
    unit: 'ms',
    baseline: round(percentile(direct, 99)),
    baseline_name: 'the stand-in called directly (p99 of the whole call)',
    ratio: round(percentile(direct, 99) / Math.max(p99, 0.01)),
    target: 'p99 <= 2 ms',
    pass: p99 <= 2,
    p50_ms: round(percentile(added, 50), 3),
    baseline_p50_ms: round(percentile(direct, 50), 3),
    event_loop_delay_p99_ms: round(loop.percentile(99) / 1e6),
    pairs: added.length,
  });
}

// ---------------------------------------------------------------------------------------------
async function addedLatency(): Promise<void> {
  const layout = assetLayout(resolvePaths(user).cacheDir);
  const binary = await ensureOllamaBinary(layout, user.services.ollama.version);
  const servicesDir = join(dir, 'services');
  const chroma = new LocalService({ name: 'chroma', host: '127.0.0.1', port: 0, servicesDir, dataDir: join(dir, 'chroma-data'), startTimeoutS: 60 });
  const ollama = new LocalService({ name: 'ollama', host: '127.0.0.1', port: 0, servicesDir, dataDir: join(dir, 'ollama-models'), startTimeoutS: 60, binary: async () => binary.path });
  // Ctrl-C or a kill: the servers the bench started go down with it.
  const stop = () => void Promise.all([chroma.down(), ollama.down()]).finally(() => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
  process.once('SIGINT', stop).once('SIGTERM', stop);
  try {
    const [c, o] = await Promise.all([chroma.up(), ollama.up()]);
    await ensureBaseModel(o.url!, (await ensureBaseGguf(layout)).path, user.models.baseModel, { numThread: resolveNumThread(user.services.ollama.numThread) });
    const root = join(dir, 'latency');
    const settings = (mode: 'never' | 'always'): Web4Config =>
      loadConfig({
        root,
        env: {},
        overrides: {
          'services.chroma.url': c.url,
          'services.ollama.url': o.url,
          'paths.cacheDir': resolvePaths(user).cacheDir,
          'rag.journal.root': resolveStatePath(user, user.rag.journal.root),
          'rag.corpus.components': resolveStatePath(user, user.rag.corpus.components),
          'rag.corpus.processDocs': resolveStatePath(user, user.rag.corpus.processDocs),
          'rag.corpus.toolExamples': resolveStatePath(user, user.rag.corpus.toolExamples),
          'rag.corpus.trainai': resolveStatePath(user, user.rag.corpus.trainai),
          'gateway.routing.mode': mode,
          'serving.maxContextChars': CONTEXT_CHARS,
        },
      }).config;
    const never = settings('never');
    const always = settings('always');
    const paths = resolvePaths(always);

    const loadStarted = performance.now();
    const embedder = createEmbedder(always, paths);
    const rag = openRag(always, { embedder });
    await indexCorpus(rag, always);
    await rag.close();
    await embedder.dispose();
    log(`latency: Ollama ${o.url}, Chroma ${c.url}; example corpus loaded in ${Math.round((performance.now() - loadStarted) / 1000)} s`);

    const proxy = await startTimingProxy(o.url!);
    const routing = await createGatewayRouting({ config: always, paths });
    const retrievals: number[] = [];
    // As deployed: with the Prometheus metrics observing every query.
    const metrics = new GatewayMetrics({ paths });
    const trained = await startGateway({ config: never, paths, ollamaUrl: proxy.url, port: 0, observers: [metrics], routes: { '/metrics': metrics.handler } });
    const retrieving = await startGateway({
      config: always,
      paths,
      ollamaUrl: proxy.url,
      port: 0,
      router: routing.router,
      retriever: routing.retriever,
      observers: [metrics, { onQuery: (e: GatewayQueryEvent) => void (e.routed === 'retrieval' && retrievals.push(e.retrievalMs)) }],
    });
    const questions = loadRoutingExamples(resolveStatePath(user, user.gateway.routing.examples)).examples.map((e) => e.query);
    // Every call a question of its own (no answer from a cache), 3 warm-up calls per part.
    if (questions.length < PAIRS + RETRIEVAL_PAIRS + 6) throw new Error(`BENCH_PAIRS + BENCH_RETRIEVAL_PAIRS + 6 = ${PAIRS + RETRIEVAL_PAIRS + 6} questions needed; the routing examples have ${questions.length}`);
    const model = user.models.baseModel;
    try {
      if (ONLY !== 'retrieval') {
        const pure = await pairs('pure_trained', trained.url, proxy, questions.slice(0, PAIRS + 3), model);
        emitAdded('serving-gateway.added_latency_p99.pure_trained', pure, 2);
      }
      if (ONLY !== 'pure') {
        const withContext = await pairs('retrieval', retrieving.url, proxy, questions.slice(PAIRS + 3, PAIRS + 3 + RETRIEVAL_PAIRS + 3), model);
        emitAdded('serving-gateway.added_latency_p99.retrieval', withContext, 20, {
          retrieval_p50_ms: round(percentile(retrievals.slice(3), 50)),
          retrieval_p99_ms: round(percentile(retrievals.slice(3), 99)),
          context_chars_max: CONTEXT_CHARS,
        });
      }
    } finally {
      await trained.close();
      await retrieving.close();
      await routing.close();
      await proxy.close();
      await metrics.close();
    }
  } finally {
    await Promise.all([chroma.down(), ollama.down()]);
  }
}

interface Pair {
  gatewayMs: number;
  directMs: number;
  gatewaySpanMs: number;
  directSpanMs: number;
}

/** Interleaved pairs (gateway, then Ollama directly with what the gateway sent); the first 3 are warm-up. */
async function pairs(label: string, gatewayUrl: string, proxy: Awaited<ReturnType<typeof startTimingProxy>>, questions: string[], model: string): Promise<Pair[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const out: Pair[] = [];
  const started = performance.now();
  for (const [i, question] of questions.entries()) {
    const nonceG = randomBytes(8).toString('hex');
    const nonceD = randomBytes(8).toString('hex');
    const body = JSON.stringify({
      model,
      stream: true,
      options: { num_predict: NUM_PREDICT, temperature: 0, seed: 7 },
      messages: [
        { role: 'system', content: `Request ${nonceG}. Answer briefly.` },
        { role: 'user', content: question },
      ],
    });
    const spans = proxy.spans.length;
    const g = await post(`${gatewayUrl}/api/chat`, body, agent);
    if (g.status !== 200 || proxy.spans.length !== spans + 1) throw new Error(`${label}: the gateway answered ${g.status} (${g.text.slice(0, 200)})`);
    const gatewaySpanMs = proxy.spans.at(-1)!;
    const sent = proxy.lastBody;
    if (!sent.includes(nonceG)) throw new Error(`${label}: the gateway's request to Ollama lost the system line`);
    const d = await post(`${proxy.url}/api/chat`, sent.replace(nonceG, nonceD), agent);
    if (d.status !== 200 || proxy.spans.length !== spans + 2) throw new Error(`${label}: Ollama answered ${d.status} (${d.text.slice(0, 200)})`);
    if (i >= 3) out.push({ gatewayMs: g.ms, directMs: d.ms, gatewaySpanMs, directSpanMs: proxy.spans.at(-1)! });
    if ((i + 1) % 10 === 0) log(`  ${label}: ${i + 1}/${questions.length} pairs (last: gateway ${Math.round(g.ms)} ms, Ollama directly ${Math.round(d.ms)} ms)`);
  }
  agent.destroy();
  log(`  ${label}: ${out.length} pairs in ${Math.round((performance.now() - started) / 1000)} s`);
  return out;
}

function emitAdded(bench: string, ps: Pair[], targetMs: number, extra: Record<string, unknown> = {}): void {
  const added = ps.map((p) => p.gatewayMs - p.gatewaySpanMs - (p.directMs - p.directSpanMs));
  const endToEnd = ps.map((p) => p.gatewayMs - p.directMs);
  const direct = ps.map((p) => p.directMs);
  const p99 = percentile(added, 99);
  emit({
    bench,
    value: round(p99),
    unit: 'ms',
    baseline: round(percentile(direct, 99)),
    baseline_name: 'Ollama called directly (p99 of the whole call)',
    ratio: round(percentile(direct, 99) / Math.max(p99, 0.01)),
    target: `p99 <= ${targetMs} ms`,
    pass: p99 <= targetMs,
    p50_ms: round(percentile(added, 50)),
    end_to_end_diff_p50_ms: round(percentile(endToEnd, 50)),
    end_to_end_diff_p99_ms: round(percentile(endToEnd, 99)),
    direct_p50_ms: round(percentile(direct, 50)),
    gateway_p50_ms: round(percentile(ps.map((p) => p.gatewayMs), 50)),
    gateway_p99_ms: round(percentile(ps.map((p) => p.gatewayMs), 99)),
    pairs: ps.length,
    num_predict: NUM_PREDICT,
    ...extra,
  });
}
