import { EXIT_CODES } from '@web4/core';
import { assetLayout, ensureBaseGguf, ensureBaseModel, resolveNumThread, servicesFromConfig, type LocalService, type ServiceStatus } from '@web4/local-services';
import type { Argv, CommandModule } from 'yargs';
import { type CommandContext, type GlobalArgs, createContext, runCommand } from '../context.js';
import { ragTiers } from './rag.js';

interface ServicesArgs extends GlobalArgs {
  only?: 'chroma' | 'ollama';
}

function selected(ctx: CommandContext, only: ServicesArgs['only']): LocalService[] {
  const services = servicesFromConfig(ctx.config, ctx.paths, {
    onRebuild: (reason) => ctx.say(`⚠️ cached Ollama binary is corrupt (${reason}); rebuilding it (several minutes)`),
  });
  return only ? [services[only]] : [services.chroma, services.ollama];
}

function describe(s: ServiceStatus): string {
  const where = s.url ? ` ${s.url}` : '';
  const who = s.source === 'ours' ? ` (web4, pid ${s.pid})` : s.source === 'configured' ? ' (configured URL)' : s.source === 'external' ? ' (found on the configured port)' : '';
  return `${s.state === 'running' ? '✓' : '⚠️'} ${s.name.padEnd(7)} ${s.state}${who}${where}`;
}

interface ChromaPlace {
  tenant: string;
  database: string;
  /** Whether the database exists on the server (undefined when the server does not answer). */
  databaseExists?: boolean;
  databaseCreated?: boolean;
}

/** This state root's tenant/database on its Chroma; `create` makes them when missing (`up`). */
async function chromaPlace(ctx: CommandContext, s: ServiceStatus, create: boolean): Promise<ChromaPlace> {
  const { chromaTierFor } = await ragTiers();
  const tier = chromaTierFor(ctx.config, s.state === 'running' ? s.url : undefined);
  const place: ChromaPlace = { tenant: tier.tenant, database: tier.database };
  if (s.state !== 'running') return place;
  const existed = await tier.databaseExists();
  if (!existed && create) await tier.ensureDatabase();
  return { ...place, databaseExists: existed || create, ...(create && !existed ? { databaseCreated: true } : {}) };
}

/** Whose models these are in Ollama: the deployment name and the tags it moves. */
function deploymentOf(ctx: CommandContext): { deployment: string; models: string[] } {
  const m = ctx.config.models;
  return { deployment: ctx.config.deployment.name, models: [m.productionModel, m.previousModel, m.candidateModel] };
}

function describePlace(p: ChromaPlace): string {
  const state = p.databaseCreated ? 'created' : p.databaseExists === true ? 'exists' : p.databaseExists === false ? 'not created yet (the first index creates it)' : 'not checked';
  return `    database: ${p.database} (tenant ${p.tenant}, ${state})`;
}

async function status(args: ServicesArgs): Promise<number> {
  const ctx = createContext(args);
  const results = [];
  for (const service of selected(ctx, args.only)) {
    const s = await service.status();
    const place = service.name === 'chroma' ? await chromaPlace(ctx, s, false) : deploymentOf(ctx);
    results.push({ ...s, ...place });
    ctx.say(describe(s));
    if ('database' in place) ctx.say(describePlace(place));
    else ctx.say(`    deployment: ${place.deployment} (${place.models.join(', ')})`);
    if (s.detail) ctx.say(`    ${s.detail}`);
    if (s.state !== 'running' && s.source !== 'configured') ctx.say('    → web4 services up');
    if (s.logFile && s.source === 'ours') ctx.say(`    log: ${s.logFile}`);
  }
  ctx.emit({ services: results });
  return results.every((s) => s.state === 'running') ? EXIT_CODES.ok : EXIT_CODES.checkFailed;
}

async function up(args: ServicesArgs): Promise<number> {
  const ctx = createContext(args);
  const results = [];
  for (const service of selected(ctx, args.only)) {
    if (service.name === 'ollama' && !service.options.url) ctx.say('… ollama: finding or starting (the first start on a machine without Ollama builds it: several minutes)');
    const s = await service.up();
    let baseModel: string | undefined;
    if (service.name === 'ollama' && s.url) {
      const gguf = await ensureBaseGguf(assetLayout(ctx.paths.cacheDir));
      const model = await ensureBaseModel(s.url, gguf.path, ctx.config.models.baseModel, { numThread: resolveNumThread(ctx.config.services.ollama.numThread) });
      baseModel = `${model.name} ${model.action}`;
    }
    const place = service.name === 'chroma' ? await chromaPlace(ctx, s, true) : undefined;
    results.push({ ...s, ...place, ...(baseModel ? { baseModel } : {}) });
    ctx.say(`${describe(s)}${s.started ? ' — started' : ' — already running'}${s.staleRecordCleared ? ' (stale pid file cleared)' : ''}`);
    if (s.started && s.foreignUrl) ctx.say(`    ${s.foreignUrl} answers but is not this state root's: started our own instead`);
    if (place) ctx.say(describePlace(place));
    if (s.dataDir && s.source === 'ours') ctx.say(`    data: ${s.dataDir}  log: ${s.logFile}`);
    if (baseModel) ctx.say(`    model: ${baseModel}`);
  }
  ctx.emit({ services: results });
  return EXIT_CODES.ok;
}

async function down(args: ServicesArgs): Promise<number> {
  const ctx = createContext(args);
  const results = [];
  for (const service of selected(ctx, args.only)) {
    const r = await service.down();
    results.push(r);
    const text = { stopped: 'stopped', killed: 'killed (did not stop within 10 s)', 'not-running': 'was not running', 'not-ours': 'left running (not started by web4)' }[r.result];
    ctx.say(`✓ ${r.name.padEnd(7)} ${text}${r.url ? ` ${r.url}` : ''}`);
  }
  ctx.emit({ services: results });
  return EXIT_CODES.ok;
}

const only = (y: Argv) => y.option('only', { choices: ['chroma', 'ollama'] as const, describe: 'Act on one service' });

export const servicesCommand: CommandModule<object, ServicesArgs> = {
  command: 'services <action>',
  describe: 'Chroma and Ollama: find or start them (up), stop ours (down), check them (status)',
  builder: (y) =>
    y
      .command<ServicesArgs>('up', 'Use a configured or running server, else start our own; import the base model into Ollama', only, (a) => runCommand(a, () => up(a)))
      .command<ServicesArgs>('down', 'Stop the servers web4 started (others are left alone)', only, (a) => runCommand(a, () => down(a)))
      .command<ServicesArgs>('status', 'Is each service answering? Exit 1 when one is not', only, (a) => runCommand(a, () => status(a)))
      .demandCommand(1, 'Name an action: up, down or status')
      .epilogue(
        'Pid files, recorded ports and logs: logs/services/ under the state root. Chroma data: chroma/; Ollama models: models/ollama/. ' +
          'A server is used only when it is configured (services.<name>.url or .port) or this state root started it; ' +
          "each root keeps its collections in its own Chroma database (rag.chromaDatabase, default derived from the root's path).",
      ),
  handler: () => undefined,
};
