import { EXIT_CODES } from '@web4/core';
import { feedbackMigrations, metricsMigrations } from '@web4/metrics-store';
import { copyToPostgres, counted, type CopyProgress, type CopyResult, type CopyTableResult } from '@web4/storage';
import { createContext, type GlobalArgs } from '../context.js';

export interface CopyArgs extends GlobalArgs {
  to: string;
  batch?: number;
}

const PROGRESS_EVERY_MS = 500;

function tableLine(schema: string, t: CopyTableResult): string {
  const name = `${schema}.${t.table}`.padEnd(26);
  if (t.verified) return `✓ ${name} ${counted(t.sourceRows, 'row')}, sha256 ${t.sourceSha256.slice(0, 16)}… on both (${t.copiedNow} copied now)`;
  const diff = t.firstDifference ? `; first difference at ${t.key} ${t.firstDifference.key} (${t.firstDifference.what})` : '';
  return `⚠️ ${name} source ${counted(t.sourceRows, 'row')} / target ${counted(t.targetRows, 'row')}, sha256 ${t.sourceSha256.slice(0, 16)}… vs ${t.targetSha256.slice(0, 16)}…${diff}`;
}

/**
 * `web4 storage copy --to postgres://…`: the state root's metrics and feedback files into that
 * database (libs/storage copyToPostgres: resumable, verified). Exit 0 verified, 1 a table differs,
 * 2 bad input (URL, server, no files), 3 refused (newer schema, a file not on the newest version,
 * a target holding other rows), 130 stopped by Ctrl-C after a whole batch (run again to resume).
 */
export async function copyCommand(args: CopyArgs): Promise<number> {
  const ctx = createContext(args);
  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(EXIT_CODES.interrupted);
    stop = true;
    process.stderr.write('\nstopping after the batch in flight (Ctrl-C again to stop at once; the copy resumes either way)…\n');
  };
  process.on('SIGINT', onSigint);
  let lastLine = 0;
  const progress = (p: CopyProgress) => {
    const now = Date.now();
    if (!p.done && now - lastLine < PROGRESS_EVERY_MS && lastLine !== 0) return;
    lastLine = now;
    process.stderr.write(`  ${p.schema}.${p.table}: ${p.copied}/${p.total}${p.done ? ' done' : ''}\n`);
  };
  let result: CopyResult;
  try {
    result = await copyToPostgres({
      url: args.to,
      batchSize: args.batch,
      sources: [
        { name: 'metrics', file: ctx.paths.metricsDb, migrations: metricsMigrations, setting: 'paths.metricsDb' },
        { name: 'feedback', file: ctx.paths.feedbackDb, migrations: feedbackMigrations, setting: 'paths.feedbackDb' },
      ],
      onProgress: progress,
      onStep: (schema, step) => process.stderr.write(`  … ${schema}: applying ${step.version} ${step.name}\n`),
      shouldStop: () => stop,
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
  ctx.say(`storage copy → ${result.url} (batches of ${counted(result.batchSize, 'row')})`);
  for (const s of result.skipped) ctx.say(`- ${s.name}: no file at ${s.file}, nothing to copy`);
  for (const d of result.databases) {
    ctx.say(`${d.name}: ${d.file} → schema ${d.schema}${d.resumed ? ' (resumed)' : ''}${d.migrated.length > 0 ? `, ${counted(d.migrated.length, 'migration step')} applied` : ''}`);
    for (const t of d.tables) ctx.say(`  ${tableLine(d.schema, t)}`);
  }
  ctx.emit(result);
  if (result.interrupted) {
    process.stderr.write('Stopped before the end: the batches copied so far are kept with their progress marks; run the same command again to resume.\n');
    return EXIT_CODES.interrupted;
  }
  ctx.say(result.verified ? '✓ verified: every table has the same rows and checksum on both sides' : '⚠️ verification failed: see the tables marked ⚠️ (a source row changed after it was copied: stop the gateway and scheduler during the copy; or the target was changed). To start over, copy into a new empty database.');
  return result.verified ? EXIT_CODES.ok : EXIT_CODES.checkFailed;
}
