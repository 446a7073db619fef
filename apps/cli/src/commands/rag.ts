import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { InputError, MARK, atMost, resolveStatePath } from '@web4/core';
import type { CollectionName, RagStack, TierName } from '@web4/rag-tiers';
import { servicesFromConfig } from '@web4/local-services';
import { createContext, runCommand, type CommandContext, type GlobalArgs } from '../context.js';

/**
 * The retrieval library, loaded when a command needs it: it brings transformers.js and
 * onnxruntime, which every other `web4` command should not pay for at start-up.
 */
export const ragTiers = () => import('@web4/rag-tiers');

const COLLECTIONS = ['pdca_historical', 'components', 'process_docs', 'tool_examples', 'process_framework', 'daily_buffer'];

/**
 * Open the retrieval stack for a command: Chroma as `web4 services` finds it (configured URL,
 * the one we started, or a server on the configured port), the SQLite tiers and the local model.
 * Chroma being down is not an error here: indexing reports it per file, other commands fail
 * with a ServiceError on first use.
 */
export async function openRagForCommand(ctx: CommandContext): Promise<RagStack> {
  const { createEmbedder, openRag } = await ragTiers();
  const status = await servicesFromConfig(ctx.config, ctx.paths).chroma.status();
  const embedder = createEmbedder(ctx.config, ctx.paths);
  return openRag(ctx.config, {
    embedder,
    logger: ctx.logger,
    now: () => ctx.clock.now(),
    ...(status.state === 'running' && status.url ? { chromaUrl: status.url } : {}),
  });
}

interface OptimizeArgs extends GlobalArgs {
  apply?: boolean;
  queries?: string;
}
interface HotArgs extends GlobalArgs {
  top: number;
  days?: number;
}
interface QueryArgs extends GlobalArgs {
  text: string;
  n?: number;
  tiers?: string;
  collections?: string;
}
interface BackupArgs extends GlobalArgs {
  out?: string;
}
interface RestoreArgs extends GlobalArgs {
  from: string;
}
interface CleanArgs extends GlobalArgs {
  apply?: boolean;
}

const fmt = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? '–' : Number.isFinite(v) ? v.toFixed(digits) : '∞');

export const ragCommand: CommandModule<object, GlobalArgs> = {
  command: 'rag <command>',
  describe: 'Retrieval: tuning, hot PDCAs, cache, collection health, ad-hoc queries',
  builder: (y: Argv<object>) =>
    y
      .command<OptimizeArgs>(
        'optimize',
        'Measure precision/recall/MRR/noise/latency for n_results 2/3/5 per collection and per tier and their fusion; --apply writes the best',
        (a) =>
          a
            .option('apply', { type: 'boolean', describe: 'Write the recommended n_results and fusion weights into the config file' })
            .option('queries', { type: 'string', describe: 'Labelled query set (default rag.relevanceSet)' }),
        (args) =>
          runCommand(args, async () => {
            const ctx = createContext(args);
            const file = resolveStatePath(ctx.config, args.queries ?? ctx.config.rag.relevanceSet);
            const { applyFusion, applyNResults, evaluateFusion, loadRelevanceSet, optimizeRetrieval } = await ragTiers();
            const queries = loadRelevanceSet(file);
            const rag = await openRagForCommand(ctx);
            try {
              const result = await optimizeRetrieval(rag.chroma, rag.embedder, queries, ctx.config.rag.nResults);
              const fusion = await evaluateFusion(rag.retriever, queries, ctx.config.rag.fusion);
              let applied: string | undefined;
              if (args.apply) {
                applied = ctx.configFile ?? join(ctx.paths.root, 'web4.config.json');
                applyNResults(applied, Object.fromEntries(result.recommendations.map((r) => [r.collection, r.recommended])));
                applyFusion(applied, fusion.tuned.settings);
              }
              ctx.emit({ ...result, fusion, queriesFile: file, appliedTo: applied ?? null });
              ctx.say(`RAG parameter optimization — ${result.queries} labelled queries from ${file}`);
              ctx.say('');
              ctx.say(`${'collection'.padEnd(18)} ${'k'.padStart(2)} ${'P@k'.padStart(5)} ${'R@k'.padStart(5)} ${'MRR'.padStart(5)} ${'ctx/noise'.padStart(9)} ${'p50 ms'.padStart(7)}  queries`);
              for (const r of result.rows) {
                ctx.say(
                  `${r.collection.padEnd(18)} ${String(r.k).padStart(2)} ${fmt(r.precision).padStart(5)} ${fmt(r.recall).padStart(5)} ${fmt(r.mrr).padStart(5)} ${fmt(r.contextToNoise).padStart(9)} ${fmt(r.latencyP50Ms, 1).padStart(7)}  ${r.queries}`,
                );
              }
              for (const s of result.skippedCollections) ctx.say(`${s.collection.padEnd(18)} skipped: ${s.reason}`);
              ctx.say('');
              ctx.say('Recommendation (n_results per collection):');
              for (const r of result.recommendations) {
                ctx.say(`  ${r.collection.padEnd(18)} ${r.current} → ${r.recommended}  ${r.reason}`);
              }
              ctx.say('');
              ctx.say(`Tiers and their fusion — documents ranked over ${fusion.collections.length} collections; P/R at ${fusion.depth}; MRR over the whole list`);
              ctx.say(`${'ranking'.padEnd(18)} ${'P@5'.padStart(5)} ${'R@5'.padStart(5)} ${'MRR'.padStart(5)} ${'top 5'.padStart(7)} ${'p50 ms'.padStart(7)}`);
              const w = (x: { weights: Record<string, number>; k: number }) => `k ${x.k}, weights ${Object.entries(x.weights).map(([t, v]) => `${t} ${v}`).join(', ')}`;
              const row = (name: string, r: { precision: number | null; recall: number | null; mrr: number | null; hitsInTop: number; latencyP50Ms?: number }, extra = '') =>
                ctx.say(`${name.padEnd(18)} ${fmt(r.precision).padStart(5)} ${fmt(r.recall).padStart(5)} ${fmt(r.mrr).padStart(5)} ${`${r.hitsInTop}/${fusion.queries}`.padStart(7)} ${(r.latencyP50Ms === undefined ? '' : fmt(r.latencyP50Ms, 1)).padStart(7)}${extra}`);
              for (const t of fusion.tiers) row(`${t.ranking} alone`, t);
              row('fusion (config)', fusion.current, `  ${w(fusion.current.settings)}`);
              row('fusion (tuned)', fusion.tuned, `  ${w(fusion.tuned.settings)}`);
              const verdict = (name: string, r: { mrr: number | null; recall: number | null }, g: { notWorseMrr: boolean; notWorseRecall: boolean; mrrReached: boolean }) =>
                ctx.say(
                  `${name}: MRR ${fmt(r.mrr)} vs best tier ${fmt(fusion.best.mrr)} ${g.notWorseMrr ? '✓' : '⚠️'}; R@5 ${fmt(r.recall)} vs best tier ${fmt(fusion.best.recall)} ${g.notWorseRecall ? '✓' : '⚠️'}; MRR ≥ ${fusion.goals.mrr.toFixed(2)} ${g.mrrReached ? '✓' : '⚠️'}`,
                );
              verdict('Default retrieval (config)', fusion.current, fusion.goals.current);
              verdict('Tuned fusion', fusion.tuned, fusion.goals.tuned);
              ctx.say(applied ? `\n✓ written to ${applied} (rag.nResults, rag.fusion)` : '\nRun with --apply to write these values (rag.nResults, rag.fusion) into the config file.');
            } finally {
              await rag.close();
            }
          }),
      )
      .command<HotArgs>(
        'hot',
        'The most accessed PDCAs, from the recorded accesses',
        (a) =>
          a
            .option('top', { type: 'number', default: 10, describe: 'How many' })
            .option('days', { type: 'number', describe: 'Only accesses of the last N days' }),
        (args) =>
          runCommand(args, async () => {
            const ctx = createContext(args);
            if (!Number.isInteger(args.top) || args.top < 1 || args.top > 1000) throw new InputError(`--top must be a whole number from 1 to 1000, got ${args.top}.`);
            const rag = await openMetadataOnly(ctx);
            try {
              const since = args.days ? new Date(ctx.clock.now().getTime() - args.days * 86_400_000).toISOString() : undefined;
              const hot = await rag.hotPdcas(args.top, since);
              const totals = await rag.accessTotals(since);
              ctx.emit({ top: hot, totals });
              ctx.say(`Hot PDCAs (top ${args.top}${args.days ? `, last ${args.days} days` : ''}) — ${totals.accesses} recorded accesses`);
              if (hot.length === 0) ctx.say('  no accesses recorded yet (retrievals through the gateway or `web4 rag query` record them)');
              hot.forEach((h, i) =>
                ctx.say(`${String(i + 1).padStart(3)}. ${h.pdcaId}  ${h.accesses} accesses (${h.hits} cache hits), last ${h.lastAccess}${h.title ? `\n       ${h.title}` : ''}`),
              );
            } finally {
              await rag.close();
            }
          }),
      )
      .command<GlobalArgs>(
        'cache-stats',
        'Hot-PDCA cache: hits, misses, hit rate, entries and memory',
        (a) => a,
        (args) =>
          runCommand(args, async () => {
            const ctx = createContext(args);
            const rag = await openRagForCommand(ctx);
            try {
              const totals = await rag.metadata.accessTotals();
              // Warm this process's cache with the hottest PDCAs to show what the cache holds and weighs.
              const hot = await rag.metadata.hotPdcas(ctx.config.rag.cacheSize);
              let warmError: string | undefined;
              try {
                await rag.cache.warm(hot.map((h) => h.pdcaId));
              } catch (error) {
                warmError = (error as Error).message;
              }
              const live = rag.cache.stats();
              const hitRate = totals.accesses ? totals.hits / totals.accesses : null;
              ctx.emit({ recorded: { ...totals, hitRate }, cache: { entries: live.entries, maxEntries: live.maxEntries, memoryBytes: live.memoryBytes }, warmError: warmError ?? null });
              ctx.say('Hot-PDCA cache');
              ctx.say(`  recorded lookups   ${totals.accesses} (${totals.hits} hits, ${totals.misses} misses, hit rate ${hitRate === null ? '–' : (hitRate * 100).toFixed(1) + '%'})`);
              ctx.say(`  distinct PDCAs     ${totals.distinct}`);
              ctx.say(`  entries            ${live.entries} / ${live.maxEntries} (warmed with the hottest PDCAs)`);
              ctx.say(`  memory             ${(live.memoryBytes / 1024).toFixed(1)} KiB`);
              if (warmError) ctx.say(`  ⚠️ could not load PDCAs from Chroma: ${warmError}`);
            } finally {
              await rag.close();
            }
          }),
      )
      .command<GlobalArgs>(
        'health',
        'Each collection: reachable, items in Chroma, documents and chunks behind it',
        (a) => a,
        (args) =>
          runCommand(args, async () => {
            const ctx = createContext(args);
            const { collectionHealth } = await ragTiers();
            const status = await servicesFromConfig(ctx.config, ctx.paths).chroma.status();
            const health = await collectionHealth(ctx.config, status.state === 'running' && status.url ? { chromaUrl: status.url } : {});
            ctx.emit(health);
            ctx.say(`Chroma ${health.chromaUrl}: ${health.reachable ? '✓ reachable' : '⚠️ NOT reachable'}`);
            ctx.say(`${'collection'.padEnd(18)} ${'items'.padStart(7)} ${'expected'.padStart(8)} ${'docs'.padStart(6)}`);
            for (const c of health.collections) {
              ctx.say(
                `${c.collection.padEnd(18)} ${String(c.items ?? '–').padStart(7)} ${String(c.expectedItems).padStart(8)} ${String(c.documents).padStart(6)}  ${c.consistent === null ? '–' : c.consistent ? '✓' : '⚠️ differs: re-run `web4 index corpus`'}`,
              );
            }
            ctx.say(`graph: nodes ${JSON.stringify(health.graph.nodes)}, edges ${JSON.stringify(health.graph.edges)}`);
            const t = health.training;
            if (t) {
              ctx.say(
                `trained PDCAs across tiers (buffer metadata, graph, metadata tier): ${t.trainedDocuments} in ${t.batches} batches, ${t.checkedChunks} chunks checked — ${t.consistent ? '✓ consistent' : `⚠️ ${t.mismatches.length} mismatches`}`,
              );
              for (const m of t.mismatches.slice(0, 20)) ctx.say(`  ⚠️ ${m.collection} ${m.pdcaId}: ${m.problem}`);
              if (t.mismatches.length > 20) ctx.say(`  … ${t.mismatches.length - 20} more (--json lists them all)`);
              if (!t.consistent) ctx.say('  → `web4 evening resume` finishes an interrupted night; see docs/runbooks/evening_loop_troubleshooting.md');
            }
            const bad = !health.reachable || health.collections.some((c) => c.consistent === false) || (t !== null && !t.consistent);
            return bad ? (health.reachable ? 1 : 4) : 0;
          }),
      )
      .command<QueryArgs>(
        'query <text>',
        'Retrieve context for a question (records PDCA accesses like the gateway)',
        (a) =>
          a
            .positional('text', { type: 'string', demandOption: true })
            .option('n', { type: 'number', describe: 'Results per collection (default rag.nResults)' })
            .option('tiers', { type: 'string', describe: 'Comma list of chroma,graph,metadata,lexical (default all)' })
            .option('collections', { type: 'string', describe: `Comma list of ${COLLECTIONS.join(',')}` }),
        (args) =>
          runCommand(args, async () => {
            const ctx = createContext(args);
            const collections = args.collections?.split(',').map((c) => c.trim());
            if (collections?.some((c) => !COLLECTIONS.includes(c))) throw new InputError(`Unknown collection in --collections ${args.collections}.`, { hint: `Use ${COLLECTIONS.join(', ')}.` });
            const rag = await openRagForCommand(ctx);
            try {
              const tiers = args.tiers?.split(',').map((t) => t.trim()) as TierName[] | undefined;
              // A fresh process pays for the model's load and first inference once; measured apart
              // so the retrieval figure is what a warm server (the gateway) spends per query.
              const modelStartMs = !tiers || tiers.includes('chroma') ? await rag.retriever.warmUp() : 0;
              const result = await rag.retriever.retrieve(args.text, {
                ...(args.n ? { nResults: args.n } : {}),
                ...(tiers ? { tiers } : {}),
                ...(collections ? { collections: collections as CollectionName[] } : {}),
              });
              const totalMs = modelStartMs + result.latencyMs;
              ctx.emit({ ...result, modelStartMs, totalMs });
              const parts = Object.entries(result.timingsMs).map(([k, v]) => `${k} ${v!.toFixed(1)}`).join(', ');
              ctx.say(
                `${result.results.length} results in ${totalMs.toFixed(1)} ms: model start ${modelStartMs.toFixed(1)} ms (load + first inference, once per process), retrieval ${result.latencyMs.toFixed(1)} ms ${MARK[atMost(result.latencyMs, 2500)]} (${parts})`,
              );
              ctx.say(`tiers used: ${result.tiersUsed.join(', ') || 'none'}; order: reciprocal rank fusion (k ${ctx.config.rag.fusion.k}); score: each tier's own 0..1`);
              for (const r of result.results) {
                const by = (r.foundBy ?? [r.tier]).join('+');
                ctx.say(`  ${r.score.toFixed(3)} [${by}${r.collection ? '/' + r.collection : ''}] ${r.documentId}`);
                ctx.say(`        ${r.text.replace(/\s+/g, ' ').slice(0, 110)}`);
              }
            } finally {
              await rag.close();
            }
          }),
      )
      .command<CleanArgs>(
        'clean',
        'Metadata clean-up: documents whose source file is gone (--apply removes them from all tiers)',
        (a) => a.option('apply', { type: 'boolean', describe: 'Remove them (chunks, metadata rows, graph nodes)' }),
        (args) =>
          runCommand(args, async () => {
            const ctx = createContext(args);
            const rag = await openRagForCommand(ctx);
            try {
              const missing = await rag.metadata.missingFiles(false);
              if (args.apply) {
                for (const d of missing) {
                  await rag.chroma.deleteDocuments(d.collection, [d.docId]);
                  rag.lexical.deleteDocuments(d.collection, [d.docId]);
                  await rag.metadata.deleteDocument(d.collection, d.docId);
                  if (d.collection === 'pdca_historical' || d.collection === 'daily_buffer') {
                    const others = await rag.metadata.listDocuments(undefined, { pdcaIds: [d.docId] });
                    if (others.length === 0) rag.graph.removeNode(`pdca:${d.docId}`);
                  }
                }
              }
              ctx.emit({ missing, removed: args.apply ? missing.length : 0 });
              ctx.say(`${missing.length} indexed documents whose file is gone${args.apply ? ' — removed' : ''}`);
              for (const d of missing) ctx.say(`  ${d.collection}: ${d.docId} (${d.path})`);
              if (missing.length && !args.apply) ctx.say('Run `web4 rag clean --apply` to remove them.');
            } finally {
              await rag.close();
            }
          }),
      )
      .command<BackupArgs>(
        'backup',
        'Copy the SQLite tiers (graph, metadata + access records) to backups/rag/rag_<stamp>/ (safe while running)',
        (a) => a.option('out', { type: 'string', describe: 'Folder to write into (default <backupsDir>/../rag)' }),
        (args) =>
          runCommand(args, async () => {
            const ctx = createContext(args);
            const { backupTiers } = await ragTiers();
            const into = args.out ? resolveStatePath(ctx.config, args.out) : join(dirname(ctx.paths.backupsDir), 'rag');
            const result = await backupTiers(ctx.config, into, ctx.clock.now());
            ctx.emit(result);
            ctx.say(`✓ backed up ${result.files.length} databases to ${result.dir}`);
          }),
      )
      .command<RestoreArgs>(
        'restore <from>',
        'Put a `rag backup` folder back (integrity-checked; the replaced files are kept as *.before-restore)',
        (a) => a.positional('from', { type: 'string', demandOption: true }),
        (args) =>
          runCommand(args, async () => {
            const ctx = createContext(args);
            const { restoreTiers } = await ragTiers();
            const restored = restoreTiers(ctx.config, resolveStatePath(ctx.config, args.from));
            ctx.emit({ restored });
            for (const f of restored) ctx.say(`✓ restored ${f} (previous file kept as ${f}.before-restore)`);
            ctx.say('Chroma is not part of this backup: check `web4 rag health`; `web4 index corpus` re-adds anything missing.');
          }),
      )
      .demandCommand(1, 'Name a rag command: optimize, hot, cache-stats, health, query, clean, backup, restore'),
  handler: () => undefined,
};

/** `rag hot` only reads access records: it must work without Chroma or the model. */
async function openMetadataOnly(ctx: CommandContext) {
  const path = resolveStatePath(ctx.config, ctx.config.rag.metadataDb);
  if (!existsSync(path)) {
    throw new InputError(`No retrieval metadata at ${path} yet.`, { hint: 'Index something first: `web4 index corpus` or `web4 index daily`.' });
  }
  const { MetadataTier } = await ragTiers();
  return MetadataTier.open(path, { busyTimeoutMs: ctx.config.monitoring.busyTimeoutMs });
}

