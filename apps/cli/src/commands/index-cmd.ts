import type { Argv, CommandModule } from 'yargs';
import cliProgress from 'cli-progress';
import { isoDay, parseDay } from '@web4/core';
import type { IndexingReport } from '@web4/pdca-indexer';
import { join } from 'node:path';
import { createContext, runCommand, type CommandContext, type GlobalArgs } from '../context.js';
import { openRagForCommand } from './rag.js';

interface DailyArgs extends GlobalArgs {
  date?: string;
  force?: boolean;
  journal?: string;
}
interface CorpusArgs extends GlobalArgs {
  force?: boolean;
  journal?: string;
  components?: string;
  processDocs?: string;
  toolExamples?: string;
  trainai?: string;
}

/** Loaded on use: the indexer brings the embedding model's runtime (see ragTiers in rag.ts). */
const pdcaIndexer = () => import('@web4/pdca-indexer');

/** A progress bar on a terminal only (never with --json, never in cron logs). */
function progressBar(ctx: CommandContext) {
  if (ctx.json || !process.stdout.isTTY) return undefined;
  return new cliProgress.SingleBar({ format: '{label} [{bar}] {value}/{total} {file}', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
}

function printReport(ctx: CommandContext, title: string, r: IndexingReport): void {
  const ok = r.failed === 0;
  ctx.say(`${title} → ${r.collection}`);
  ctx.say(`  Found:     ${r.found}`);
  ctx.say(`  Indexed:   ${r.indexed} (${r.chunks} chunks; ${r.embedded} embedded, ${r.reusedEmbeddings} reused)`);
  if (r.settingsChanged) ctx.say(`             ${r.settingsChanged} of them unchanged files, indexed again because the embedding model or the chunk settings changed`);
  ctx.say(`  Unchanged: ${r.unchanged}`);
  // Links that need nothing done are counts: aliases are indexed under their real path, ignored links are not PDCAs.
  if (r.aliases || r.ignored) ctx.say(`  Links:     ${r.aliases} aliases (indexed under their real path), ${r.ignored} ignored (not PDCAs, lead nowhere)`);
  ctx.say(`  Failed:    ${r.failed} ${ok ? '✓' : '⚠️'}`);
  for (const f of r.files) if (f.status === 'failed') ctx.say(`    ✗ ${f.path}\n      [${f.kind}] ${f.reason}`);
  if (r.skipped) {
    ctx.say(`  Not followed: ${r.skipped} folder link${r.skipped === 1 ? '' : 's'}`);
    for (const f of r.files) if (f.status === 'skipped') ctx.say(`    – ${f.path}\n      [${f.kind}] ${f.reason}`);
  }
  ctx.say(`  Time:      ${(r.durationMs / 1000).toFixed(1)} s`);
  if (r.files.some((f) => f.kind === 'service')) {
    ctx.say('  → Chroma was not reachable: start it with `web4 services up` (or fix services.chroma.url), then run the same command again; only the missed files are indexed.');
  }
}

export const indexCommand: CommandModule<object, GlobalArgs> = {
  command: 'index <command>',
  describe: "Index PDCAs: today's into the daily buffer, or the whole corpus into the historical collections",
  builder: (y: Argv<object>) =>
    y
      .command<DailyArgs>(
        'daily',
        "Index one day's PDCAs into daily_buffer (default today, UTC); unchanged files are skipped",
        (a) =>
          a
            .option('date', { type: 'string', describe: 'Day to index: YYYY-MM-DD, today or yesterday' })
            .option('journal', { type: 'string', describe: 'Journal root (default rag.journal.root)' })
            .option('force', { type: 'boolean', describe: 'Re-index unchanged files too (after changing rag.chunk or the model)' }),
        (args) =>
          runCommand(args, async () => {
            const ctx = createContext(args);
            const { appendIndexingLog, indexDaily, indexingExitCode, resolveCorpusSources } = await pdcaIndexer();
            const day = isoDay(parseDay(args.date ?? 'today', ctx.clock.now(), '--date'));
            // A journal that does not exist (a mistyped --journal in a cron line) is exit 2 before anything starts.
            resolveCorpusSources(ctx.config, args.journal !== undefined ? { journal: args.journal } : {}, ['journal']);
            const rag = await openRagForCommand(ctx);
            const bar = progressBar(ctx);
            try {
              let started = false;
              const report = await indexDaily(rag, ctx.config, {
                date: day,
                ...(args.journal ? { root: args.journal } : {}),
                ...(args.force ? { force: true } : {}),
                now: () => ctx.clock.now(),
                onProgress: (done, total, file) => {
                  if (!bar) return;
                  if (!started) {
                    bar.start(total, 0, { label: 'indexing', file: '' });
                    started = true;
                  }
                  bar.update(done, { file: file.split('/').pop() });
                },
              });
              bar?.stop();
              appendIndexingLog(join(ctx.paths.logsDir, 'daily_indexing.log'), `daily ${day}`, [report], ctx.clock.now());
              ctx.emit({ date: day, ...report, exitCode: indexingExitCode([report]) });
              printReport(ctx, `Daily indexing ${day}`, report);
              if (report.found === 0) ctx.say(`  no PDCAs dated ${day} under ${args.journal ?? ctx.config.rag.journal.root}`);
              return indexingExitCode([report]);
            } finally {
              bar?.stop();
              await rag.close();
            }
          }),
      )
      .command<CorpusArgs>(
        'corpus',
        'Bulk-load pdca_historical, components, process_docs, tool_examples and process_framework',
        (a) =>
          a
            .option('journal', { type: 'string', describe: 'Journal root (default rag.journal.root)' })
            .option('components', { type: 'string', describe: 'Components folder (default rag.corpus.components)' })
            .option('process-docs', { type: 'string', describe: 'Process docs folder' })
            .option('tool-examples', { type: 'string', describe: 'Tool-call examples folder' })
            .option('trainai', { type: 'string', describe: 'TrainAI topics folder (with topics.yaml)' })
            .option('force', { type: 'boolean', describe: 'Re-index unchanged files too (after changing rag.chunk or the model)' }),
        (args) =>
          runCommand(args, async () => {
            const ctx = createContext(args);
            const { appendIndexingLog, corpusOverrides, indexCorpus, indexingExitCode, resolveCorpusSources } = await pdcaIndexer();
            const folders = {
              ...(args.journal !== undefined ? { journal: args.journal } : {}),
              ...(args.components !== undefined ? { components: args.components } : {}),
              ...(args.processDocs !== undefined ? { processDocs: args.processDocs } : {}),
              ...(args.toolExamples !== undefined ? { toolExamples: args.toolExamples } : {}),
              ...(args.trainai !== undefined ? { trainai: args.trainai } : {}),
            };
            // A missing folder (mistyped in a cron line or the config) stops here with exit 2, before any service starts.
            resolveCorpusSources(ctx.config, corpusOverrides(folders));
            const rag = await openRagForCommand(ctx);
            const bar = progressBar(ctx);
            let current = '';
            try {
              const { reports, skippedFolders } = await indexCorpus(rag, ctx.config, {
                ...folders,
                ...(args.force ? { force: true } : {}),
                now: () => ctx.clock.now(),
                onProgress: (collection, done, total, file) => {
                  if (!bar) return;
                  if (collection !== current) {
                    if (current) bar.stop();
                    bar.start(total, 0, { label: collection, file: '' });
                    current = collection;
                  }
                  bar.update(done, { file: file.split('/').pop() });
                },
              });
              bar?.stop();
              appendIndexingLog(join(ctx.paths.logsDir, 'daily_indexing.log'), 'corpus', reports, ctx.clock.now());
              const exitCode = indexingExitCode(reports);
              ctx.emit({ reports, skippedFolders, exitCode });
              for (const r of reports) printReport(ctx, 'Corpus', r);
              for (const s of skippedFolders) ctx.say(`– ${s.collection}: folder ${s.folder} does not exist; skipped (optional in rag.corpus.optional)`);
              return exitCode;
            } finally {
              bar?.stop();
              await rag.close();
            }
          }),
      )
      .demandCommand(1, 'Name an index command: daily or corpus'),
  handler: () => undefined,
};
