import { EXIT_CODES } from '@web4/core';
import { counted, storageTarget } from '@web4/storage';
import type { CommandModule } from 'yargs';
import { createContext, runCommand, type GlobalArgs } from '../context.js';
import { copyCommand, type CopyArgs } from './storage-copy.js';
import { databaseStatus, migrateDatabase, storageDatabases, type DatabaseStatus, type MigrateResult } from './storage-databases.js';

function header(dialect: string, url: string | undefined): string {
  return dialect === 'postgres' ? `storage: postgres ${url} (records); the retrieval tiers stay SQLite files` : 'storage: sqlite (files under the state root)';
}

function describeStatus(s: DatabaseStatus): string {
  const head = `${s.state === 'current' ? '✓' : '⚠️'} ${s.name.padEnd(8)} ${s.dialect.padEnd(8)} ${s.location}`;
  const steps = s.pending.map((p) => `${p.version} ${p.name}`).join(', ');
  switch (s.state) {
    case 'current':
      return `${head}\n    version ${s.version} of ${s.latest}, up to date`;
    case 'missing':
      return `${head}\n    not created yet: ${counted(s.pending.length, 'step')} to apply (${steps}) → web4 storage migrate`;
    case 'pending':
      return `${head}\n    version ${s.version} of ${s.latest}: ${s.pending.length} pending (${steps}) → web4 storage migrate`;
    case 'newer':
      return `${head}\n    version ${s.version}, newer than this program knows (${s.latest}): written by a newer web4; upgrade web4 to use it`;
  }
}

async function status(args: GlobalArgs): Promise<number> {
  const ctx = createContext(args);
  const target = storageTarget(ctx.config);
  const databases = await storageDatabases(ctx.config, ctx.paths);
  ctx.say(header(target.dialect, target.dialect === 'postgres' ? target.displayUrl : undefined));
  const results: DatabaseStatus[] = [];
  for (const database of databases) {
    const s = await databaseStatus(database);
    results.push(s);
    ctx.say(describeStatus(s));
  }
  ctx.emit({ dialect: target.dialect, ...(target.dialect === 'postgres' ? { url: target.displayUrl } : {}), databases: results });
  if (results.some((s) => s.state === 'newer')) return EXIT_CODES.storage;
  return results.every((s) => s.state === 'current') ? EXIT_CODES.ok : EXIT_CODES.checkFailed;
}

async function migrate(args: GlobalArgs): Promise<number> {
  const ctx = createContext(args);
  const target = storageTarget(ctx.config);
  const databases = await storageDatabases(ctx.config, ctx.paths);
  ctx.say(header(target.dialect, target.dialect === 'postgres' ? target.displayUrl : undefined));
  const results: MigrateResult[] = [];
  for (const database of databases) {
    const r = await migrateDatabase(database, ctx.config, (step) => ctx.say(`  … ${database.name}: applying ${step.version} ${step.name}`));
    results.push(r);
    ctx.say(
      r.applied.length > 0
        ? `✓ ${r.name.padEnd(8)} ${r.dialect.padEnd(8)} ${r.location}\n    version ${r.from} → ${r.to} (${r.applied.length} applied)`
        : `✓ ${r.name.padEnd(8)} ${r.dialect.padEnd(8)} ${r.location}\n    version ${r.to}, up to date`,
    );
  }
  ctx.emit({ dialect: target.dialect, ...(target.dialect === 'postgres' ? { url: target.displayUrl } : {}), databases: results });
  return EXIT_CODES.ok;
}

export const storageCommand: CommandModule<object, GlobalArgs> = {
  command: 'storage <action>',
  describe: 'Databases of this state root (SQLite files, or the PostgreSQL of storage.url): their schema versions (status), apply pending steps (migrate), move the SQLite history into PostgreSQL (copy)',
  builder: (y) =>
    y
      .command<GlobalArgs>('status', 'Each database, its dialect, version, the newest this program knows and the pending steps. Exit 1 when a step is pending', (y) => y, (a) => runCommand(a, () => status(a)))
      .command<GlobalArgs>('migrate', 'Apply the pending steps of every database (each in one transaction; PostgreSQL: under an advisory lock)', (y) => y, (a) => runCommand(a, () => migrate(a)))
      .command<CopyArgs>(
        'copy',
        'Copy the SQLite history (metrics and feedback files, every table) into the PostgreSQL database of --to: migrates it first, batches in id order, resumes where an interrupted copy stopped, verifies row counts and checksums',
        (y) =>
          y
            .option('to', { type: 'string', demandOption: true, describe: 'postgres://user[:password]@host[:port]/database (an empty database, or one this copy started)' })
            .option('batch', { type: 'number', describe: 'rows per transaction (default 1000)' }),
        (a) => runCommand(a, () => copyCommand(a)),
      )
      .demandCommand(1, 'Name an action: status, migrate or copy')
      .epilogue(
        'storage.url selects the dialect: unset or "sqlite:" = the files under the state root (paths.metricsDb, paths.feedbackDb); ' +
          '"postgres://user[:password]@host[:port]/database" = that database for the records (metrics and feedback, a schema each). ' +
          'The graph and metadata tiers are SQLite files in both cases. Exit codes: 0 up to date or applied, 1 steps pending (status), ' +
          '2 bad storage.url or a server that cannot be reached / refuses the login, 3 a database written by a newer web4 (left unchanged) or not a database. ' +
          'copy: 0 verified, 1 a table differs, 2 bad --to / no server / no files, 3 refused (newer schema, a file not migrated, a target holding other rows), 130 stopped (run again to resume).',
      ),
  handler: () => undefined,
};
