import { EXIT_CODES, InputError, ServiceError } from '@web4/core';
import { serviceUrl, servicesFromConfig } from '@web4/local-services';
import { BASE_VERSION, MetricsStore } from '@web4/metrics-store';
import { AdapterRegistry, describeVersion, REGISTRY_LOCK } from '@web4/rollback';
import { exportModel } from '@web4/trainer-bridge';
import type { Argv, CommandModule } from 'yargs';
import { createContext, runCommand, type CommandContext, type GlobalArgs } from '../context.js';

interface ListArgs extends GlobalArgs {
  all?: boolean;
}
interface PromoteArgs extends GlobalArgs {
  target?: string;
  force?: boolean;
  reason?: string;
}
interface RollbackArgs extends GlobalArgs {
  to?: string;
  force?: boolean;
  reason?: string;
}

/** `model list` reads only the registry: without an Ollama of this state root, nothing is asked of one. */
const NO_OLLAMA = 'http://127.0.0.1:9';

const fmt = (x: unknown, d = 4) => (typeof x === 'number' ? x.toFixed(d) : '–');

async function withRegistry<T>(ctx: CommandContext, needOllama: boolean, body: (r: AdapterRegistry, store: MetricsStore) => Promise<T>): Promise<T> {
  let url = serviceUrl(ctx.config, ctx.paths, 'ollama') ?? NO_OLLAMA;
  if (needOllama) {
    const status = await servicesFromConfig(ctx.config, ctx.paths).ollama.status();
    if (status.state !== 'running' || !status.url) throw new ServiceError('Ollama is not running: the serving tags live there.', { hint: 'Start it with `web4 services up`, then run again.' });
    url = status.url;
  }
  const store = MetricsStore.open(ctx.paths.metricsDb, { clock: ctx.clock });
  try {
    const registry = new AdapterRegistry({
      config: ctx.config,
      paths: ctx.paths,
      store,
      ollamaUrl: url,
      logger: ctx.logger,
      clock: ctx.clock,
      exportMergedModel: (adapterDir, outDir) => exportModel({ settings: ctx.config.trainer, cacheDir: ctx.paths.cacheDir, adapterDir, outDir }).then(() => undefined),
    });
    return await body(registry, store);
  } finally {
    store.close();
  }
}

/** Model changes take the nightly loop's lock: never while a night is deciding what to serve. */
async function locked(ctx: CommandContext, what: string, body: (r: AdapterRegistry) => Promise<number>): Promise<number> {
  return withRegistry(ctx, true, async (registry, store) => {
    const lock = store.locks.acquire(REGISTRY_LOCK, `${what} (pid ${process.pid})`);
    if (!lock.acquired) {
      process.stderr.write(`error: ${lock.holder.owner} holds the lock since ${lock.holder.acquiredAt}; models are not changed during a night.\n  → wait for it to finish (\`web4 evening status\`), then run again.\n`);
      return EXIT_CODES.locked;
    }
    try {
      return await body(registry);
    } finally {
      store.locks.release(REGISTRY_LOCK);
    }
  });
}

async function list(args: ListArgs): Promise<number> {
  const ctx = createContext(args);
  return withRegistry(ctx, false, async (registry) => {
    const listing = registry.list();
    ctx.emit(listing);
    const t = listing.tags;
    ctx.say(`Production ${registry.tagNames.latest}: ${describeVersion(t.latest ?? BASE_VERSION)}   previous: ${describeVersion(t.previous)}   candidate: ${describeVersion(t.candidate)}`);
    ctx.say('');
    ctx.say(`${'version'.padEnd(18)} ${'created'.padEnd(17)} ${'state'.padEnd(11)} ${'tags'.padEnd(17)} ${'smp'.padStart(4)} ${'loss'.padStart(7)}  ${'night loss'.padEnd(17)} ${'retention'.padEnd(17)} canaries  parent`);
    const shown = args.all ? listing.versions : listing.versions.slice(0, 20);
    for (const v of shown) {
      const g = (v.gates ?? {}) as { night?: { production?: number; candidate?: number }; retention?: { production?: number; candidate?: number; tokens?: number }; canaries?: string; pass?: boolean };
      const night = g.night ? `${fmt(g.night.production, 3)}→${fmt(g.night.candidate, 3)}` : '';
      const ret = g.retention?.tokens ? `${fmt(g.retention.production, 3)}→${fmt(g.retention.candidate, 3)}` : g.retention ? 'no history' : '';
      ctx.say(
        `${v.version.padEnd(18)} ${v.createdAt.slice(0, 16).replace('T', ' ').padEnd(17)} ${v.state.padEnd(11)} ${v.tags.join(',').padEnd(17)} ${String(v.samples).padStart(4)} ${fmt(v.trainLoss, 3).padStart(7)}  ${night.padEnd(17)} ${ret.padEnd(17)} ${(g.canaries ?? '').padEnd(9)} ${v.parentVersion ?? ''}${v.filesPresent ? '' : '  (files removed)'}`,
      );
      if (v.reason) ctx.say(`${''.padEnd(18)} ↳ ${v.state === 'rejected' ? 'rejected' : v.state === 'rolled_back' ? 'rolled back' : 'note'}: ${v.reason}`);
    }
    if (listing.versions.length === 0) ctx.say('  (no trained version yet: production is the base model)');
    if (!args.all && listing.versions.length > shown.length) ctx.say(`  … ${listing.versions.length - shown.length} older versions (--all)`);
    ctx.say('');
    ctx.say(`Backups (${ctx.paths.backupsDir}):`);
    for (const b of listing.backups) ctx.say(`  ${b.name}  ${b.version}  ${Object.keys(b.files).length} files  ${b.createdAt}`);
    if (listing.backups.length === 0) ctx.say('  (none)');
    return EXIT_CODES.ok;
  });
}

async function promote(args: PromoteArgs): Promise<number> {
  const ctx = createContext(args);
  return locked(ctx, 'model promote', async (registry) => {
    const version = args.target ?? registry.tags().candidate;
    if (!version) throw new InputError('There is no candidate to promote.', { hint: 'Name a version: `web4 model promote VERSION` (`web4 model list` shows them).' });
    const rec = registry.version(version);
    if (!rec) throw new InputError(`No model version ${version}.`, { hint: '`web4 model list` shows the versions.' });
    const gates = rec.gates as { pass?: boolean } | null;
    if (!args.force && (rec.state === 'rejected' || gates?.pass === false || !gates)) {
      throw new InputError(`${version} has not passed the gates (${rec.reason ?? (gates ? 'a gate failed' : 'never judged')}); it is promoted only with --force.`, {
        hint: 'Add --force if a person checked it (the reason is recorded with --reason).',
      });
    }
    const r = await registry.promote(version, { reason: args.reason ?? (args.force ? 'promoted by hand with --force' : 'promoted by hand') });
    ctx.emit(r);
    ctx.say(`✓ ${registry.tagNames.latest} = ${describeVersion(r.to)} (was ${describeVersion(r.from)}); ${registry.tagNames.previous} = ${describeVersion(r.from)}`);
    for (const s of r.tags) ctx.say(`  ${s.name}: ${describeVersion(s.version)} (${s.action})`);
    return EXIT_CODES.ok;
  });
}

async function rollback(args: RollbackArgs): Promise<number> {
  const ctx = createContext(args);
  return locked(ctx, 'model rollback', async (registry) => {
    let to = args.to;
    if (to?.startsWith('backup_')) {
      ctx.say(`Restoring ${to} (verifying its checksums, re-creating the merged model)…`);
      to = await registry.restoreBackup(to);
      ctx.say(`  restored ${to} into ${registry.dirOf(to)}`);
    }
    const r = await registry.rollback({ ...(to ? { to } : {}), reason: args.reason ?? 'rolled back by hand', ...(args.force ? { force: true } : {}) });
    const answer = await registry.ollama.answer(registry.tagNames.latest, 'Say hello.');
    ctx.emit({ ...r, answer });
    ctx.say(`✓ ${registry.tagNames.latest} = ${describeVersion(r.to)} (was ${describeVersion(r.from)}, now marked rolled back)`);
    for (const s of r.tags) ctx.say(`  ${s.name}: ${describeVersion(s.version)} (${s.action})`);
    ctx.say(`  ${registry.tagNames.latest} answers: ${JSON.stringify(answer.trim().slice(0, 80))}`);
    if (r.to !== BASE_VERSION || r.from !== BASE_VERSION) ctx.say('  The next night continues from this production version.');
    return answer.trim() ? EXIT_CODES.ok : EXIT_CODES.checkFailed;
  });
}

export const modelCommand: CommandModule<object, GlobalArgs> = {
  command: 'model <command>',
  describe: 'Model versions: list, promote, rollback (moves Ollama tags; never overwrites files)',
  builder: (y: Argv<object>) =>
    y
      .command<ListArgs>(
        'list',
        'Versions with date, samples, loss, gate results and tags; backups',
        (a) => a.option('all', { type: 'boolean', describe: 'Every version, not only the newest 20' }),
        (args) => runCommand(args, () => list(args)),
      )
      .command<PromoteArgs>(
        'promote [target]',
        'Make a version production (default: the candidate); one that failed its gates needs --force',
        (a) =>
          a
            .positional('target', { type: 'string', describe: 'The version, v<YYYYMMDD_HHMMSS> (default: the candidate)' })
            .option('force', { type: 'boolean', describe: 'Promote even though the gates failed' })
            .option('reason', { type: 'string', describe: 'Why, recorded with the promotion' }),
        (args) => runCommand(args, () => promote(args)),
      )
      .command<RollbackArgs>(
        'rollback',
        'Put the previous version (or --to VERSION, base, or backup_<stamp>) back into production',
        (a) =>
          a
            .option('to', { type: 'string', describe: 'A version, `base`, or a backup name (backup_YYYYMMDD_HHMMSS)' })
            .option('force', { type: 'boolean', describe: 'Allow a version the gates rejected' })
            .option('reason', { type: 'string', describe: 'Why, recorded with the rollback' }),
        (args) => runCommand(args, () => rollback(args)),
      )
      .demandCommand(1, 'Name a model command: list, promote, rollback'),
  handler: () => undefined,
};
