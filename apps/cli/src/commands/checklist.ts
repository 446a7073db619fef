import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AdapterRegistry, OllamaModels } from '@web4/rollback';
import { EXIT_CODES, addDays, atLeast, isoDay, isWeb4Error, resolveStatePath, utcMidnight, type StatePaths, type Web4Config } from '@web4/core';
import { MetricsReader, MetricsStore, FeedbackStore, BASE_VERSION, buildMonitoringReport, buildQueryTypesReport } from '@web4/metrics-store';
import { repoRoot, servicesFromConfig } from '@web4/local-services';
import { Crontab, beginMarker, endMarker, findRepoRoot, planSchedule, resolveJobRunner, shellWord } from '@web4/scheduling';
import { alerterFromConfig, UNDELIVERED_FILE } from '@web4/alerting';
import { loadCaseFile, morningHistory } from '@web4/canary-suite';
import type { CommandModule } from 'yargs';
import { type GlobalArgs, createContext, runCommand } from '../context.js';

/**
 * `web4 checklist`: the original plan's prerequisites, its Phase 4 completion checklist and its
 * success criteria, each item judged from what this state root really holds — the records in its
 * databases, the installed crontab block, its files, the services and the config — with the
 * command that moves an item forward. Every figure comes from the library that owns it (the same
 * readers as `monitor report`, `evening history`, `model list`, `validate --history`, …).
 */

export type ChecklistStatus = 'ok' | 'warn' | 'fail';
export type ChecklistSection = 'prerequisites' | 'phase4' | 'success';

export interface ChecklistItem {
  id: string;
  section: ChecklistSection;
  title: string;
  status: ChecklistStatus;
  /** What was found, in a line. */
  detail: string;
  /** The command (or setting) that moves the item to ✓; absent when it is ✓. */
  fix?: string;
}

export interface Checklist {
  stateRoot: string;
  checkedAt: string;
  items: ChecklistItem[];
  counts: Record<ChecklistStatus, number>;
  /** True only when every item is ✓ (exit 0). */
  complete: boolean;
}

export interface ChecklistInput {
  config: Web4Config;
  paths: StatePaths;
  /** The config file in use (where `rag optimize --apply` writes), when there is one. */
  configFile: string | undefined;
  now: Date;
  /** The checkout whose docs/ is checked (default: this one). */
  repo?: string;
  /** The crontab to read (default: this user's, through the `crontab` command). */
  crontab?: Pick<Crontab, 'read'>;
}

export const SECTION_TITLES: Record<ChecklistSection, string> = {
  prerequisites: 'Prerequisites',
  phase4: 'Phase 4 completion checklist',
  success: 'Success criteria',
};

/** The runbooks and training material the plan asks for, relative to the checkout. */
export const REQUIRED_DOCS = [
  'docs/runbooks/production_monitoring.md',
  'docs/runbooks/evening_loop_troubleshooting.md',
  'docs/runbooks/model_rollback.md',
  'docs/runbooks/rag_maintenance.md',
  'docs/maintenance.md',
  'docs/team_training.md',
];

const MARKS: Record<ChecklistStatus, string> = { ok: '✓', warn: '⚠️', fail: '✗' };
const MORNINGS_NEEDED = 3;
const MORNING_WINDOW_DAYS = 7;

function item(section: ChecklistSection, id: string, title: string, status: ChecklistStatus, detail: string, fix?: string): ChecklistItem {
  return { id, section, title, status, detail, ...(status !== 'ok' && fix ? { fix } : {}) };
}

/** A problem a reader raised (a damaged database, a bad file) as the item's own ✗, never the whole checklist's end. */
function failure(error: unknown): { detail: string; fix?: string } {
  if (isWeb4Error(error)) return { detail: error.message, ...(error.hint ? { fix: error.hint } : {}) };
  return { detail: error instanceof Error ? error.message : String(error) };
}

const ragTiers = () => import('@web4/rag-tiers');
const eveningLoop = () => import('@web4/evening-loop');

export async function buildChecklist(input: ChecklistInput): Promise<Checklist> {
  const { config, paths, now } = input;
  const items: ChecklistItem[] = [];
  const add = (i: ChecklistItem) => items.push(i);
  const guard = async (section: ChecklistSection, id: string, title: string, body: () => Promise<ChecklistItem> | ChecklistItem) => {
    try {
      add(await body());
    } catch (error) {
      const f = failure(error);
      add(item(section, id, title, 'fail', f.detail, f.fix));
    }
  };

  // A checklist reads; it never creates a database that is not there yet.
  const metrics = existsSync(paths.metricsDb) ? openOrError(() => MetricsStore.open(paths.metricsDb, { busyTimeoutMs: config.monitoring.busyTimeoutMs })) : undefined;
  const feedback = existsSync(paths.feedbackDb) ? openOrError(() => FeedbackStore.open(paths.feedbackDb, { busyTimeoutMs: config.monitoring.busyTimeoutMs })) : undefined;
  const store = metrics instanceof MetricsStore ? metrics : undefined;
  const services = servicesFromConfig(config, paths);
  const [ollama, chroma] = await Promise.all([services.ollama.status(), services.chroma.status()]);
  // The checklist judges this state root: its own file (also with storage.url = postgres://…).
  const journal = store ? MetricsReader.sqlite(paths.metricsDb, { busyTimeoutMs: config.monitoring.busyTimeoutMs }) : undefined;
  const nights = journal ? await (await eveningLoop()).nightHistory(journal, 1000) : [];
  const mornings = journal ? await morningHistory(journal, { days: MORNING_WINDOW_DAYS, now }) : [];
  const tags = store ? store.models.tags() : {};
  const production = tags.latest ?? BASE_VERSION;

  try {
    // ---- prerequisites ------------------------------------------------------------------------
    await guard('prerequisites', 'production-model', 'Production model deployed', async () => {
      const name = config.models.productionModel;
      const title = 'Production model deployed';
      if (metrics instanceof Error) throw metrics;
      if (ollama.state !== 'running' || !ollama.url) return item('prerequisites', 'production-model', title, 'fail', `cannot check ${name}: Ollama is not running`, 'web4 services up');
      const digests = await new OllamaModels(ollama.url, config.evening.ollamaTimeoutMs).digests();
      if (production === BASE_VERSION) {
        return item('prerequisites', 'production-model', title, 'warn', `no trained version promoted yet: production is the base model ${config.models.baseModel}${digests.has(withTag(config.models.baseModel)) ? '' : ' (not in Ollama)'}`, 'web4 index daily && web4 evening run (a night that passes its gates promotes its version)');
      }
      const version = store!.models.version(production);
      const source = version?.ollamaName;
      const served = digests.get(withTag(name));
      if (!served) return item('prerequisites', 'production-model', title, 'fail', `the registry's production is ${production}, but Ollama at ${ollama.url} has no ${name}`, `web4 model promote ${production} --reason "re-create the serving tags"`);
      if (source && digests.get(withTag(source)) !== served) return item('prerequisites', 'production-model', title, 'fail', `${name} in Ollama is not ${production} (digests differ)`, `web4 model promote ${production} --reason "re-create the serving tags"`);
      return item('prerequisites', 'production-model', title, 'ok', `${name} = ${production} (promoted ${version?.promotedAt?.slice(0, 16).replace('T', ' ') ?? '?'} UTC), served by ${ollama.url}`);
    });

    await guard('prerequisites', 'three-tiers', 'Three retrieval tiers operational', async () => {
      const title = 'Three retrieval tiers operational';
      if (chroma.state !== 'running' || !chroma.url) return item('prerequisites', 'three-tiers', title, 'fail', `Chroma is ${chroma.state}${chroma.detail ? ` (${chroma.detail})` : ''}: the vector tier cannot answer`, 'web4 services up');
      const health = await (await ragTiers()).collectionHealth(config, { chromaUrl: chroma.url });
      const indexed = health.collections.filter((c) => (c.items ?? 0) > 0);
      const differs = health.collections.filter((c) => c.consistent === false).map((c) => c.collection);
      const graphNodes = Object.values(health.graph.nodes).reduce((a, b) => a + b, 0);
      const detail = `Chroma ${health.reachable ? 'reachable' : 'NOT reachable'} (${indexed.length}/${health.collections.length} collections hold items), graph ${graphNodes} nodes, metadata ${health.collections.reduce((a, c) => a + c.documents, 0)} documents`;
      if (!health.reachable) return item('prerequisites', 'three-tiers', title, 'fail', detail, 'web4 services up');
      if (differs.length) return item('prerequisites', 'three-tiers', title, 'warn', `${detail}; Chroma and the metadata differ in ${differs.join(', ')}`, 'web4 index corpus (then web4 rag health)');
      if (indexed.length === 0 || graphNodes === 0) return item('prerequisites', 'three-tiers', title, 'warn', `${detail}: nothing indexed yet`, 'web4 index corpus');
      return item('prerequisites', 'three-tiers', title, 'ok', detail);
    });

    add(
      ollama.state === 'running'
        ? item('prerequisites', 'ollama', 'Ollama running', 'ok', `${ollama.source === 'ours' ? `started by web4 (pid ${ollama.pid})` : ollama.source}: ${ollama.url}`)
        : item('prerequisites', 'ollama', 'Ollama running', 'fail', ollama.detail ?? ollama.state, ollama.source === 'configured' ? `start the server at ${ollama.url}, or unset services.ollama.url` : 'web4 services up'),
    );

    // ---- Phase 4 completion checklist ---------------------------------------------------------
    const window = config.monitoring.windowDays;
    const report = store ? await buildMonitoringReport({ store, targets: config.monitoring.targets, latencyStatistic: config.monitoring.latencyStatistic, now, days: window }) : undefined;
    const noMetrics = metrics instanceof Error ? failure(metrics) : { detail: `no ${paths.metricsDb} yet`, fix: 'web4 ask "…" (or the gateway) records queries; web4 monitor log for scripts' };

    add(
      report
        ? item('phase4', 'monitoring', 'Monitoring operational', 'ok', `${paths.metricsDb}: ${store!.countQueries()} queries; \`web4 monitor report\` over ${window} days: ${report.verdict} (${report.counts.met} met, ${report.counts.missed} missed, ${report.counts.unknown} not judged)`)
        : item('phase4', 'monitoring', 'Monitoring operational', 'fail', noMetrics.detail, noMetrics.fix),
    );

    const range = store?.dayRange();
    const yesterday = isoDay(addDays(utcMidnight(now), -1));
    add(
      !store
        ? item('phase4', 'query-logging', 'Query logging working', 'fail', noMetrics.detail, noMetrics.fix)
        : !range
          ? item('phase4', 'query-logging', 'Query logging working', 'fail', 'no query recorded yet', 'web4 ask "…" records each query (latency, tiers, tokens)')
          : range.last >= yesterday
            ? item('phase4', 'query-logging', 'Query logging working', 'ok', `queries recorded from ${range.first} to ${range.last}`)
            : item('phase4', 'query-logging', 'Query logging working', 'warn', `the last query was recorded on ${range.last}: nothing since yesterday`, 'check that the serving path logs (web4 ask "…", then web4 monitor report --days 1)'),
    );

    const daysWithData = report ? report.statistics.days.filter((d) => d.queries > 0).length : 0;
    add(
      !report
        ? item('phase4', 'daily-reports', 'Daily reports generating', 'fail', noMetrics.detail, noMetrics.fix)
        : daysWithData === 0
          ? item('phase4', 'daily-reports', 'Daily reports generating', 'fail', `no daily summary in the last ${window} days`, 'record queries (web4 ask "…"), then web4 monitor report')
          : item('phase4', 'daily-reports', 'Daily reports generating', 'ok', `daily summaries for ${daysWithData} of the last ${window} days (web4 monitor report, web4 monitor query-types)`),
    );

    await guard('phase4', 'feedback', 'Feedback collection active', () => {
      const title = 'Feedback collection active';
      if (feedback instanceof Error) throw feedback;
      const hint = 'web4 feedback add --query "…" --response "…" --rating up|down';
      if (!feedback) return item('phase4', 'feedback', title, 'fail', `no ${paths.feedbackDb} yet: nobody rated an answer`, hint);
      const today = utcMidnight(now);
      const recent = feedback.satisfaction(addDays(today, -(window - 1)), addDays(today, 1));
      const ever = feedback.satisfaction(new Date(0), addDays(today, 1));
      if (recent.total > 0) return item('phase4', 'feedback', title, 'ok', `${recent.total} ratings in the last ${window} days (${ever.total} in all)`);
      if (ever.total > 0) return item('phase4', 'feedback', title, 'warn', `${ever.total} ratings, none in the last ${window} days`, hint);
      return item('phase4', 'feedback', title, 'fail', 'no rating recorded yet', hint);
    });

    await guard('phase4', 'daily-indexing', 'Daily work indexed', () => {
      const title = 'Daily work indexed';
      const last = lastDailyIndexing(join(paths.logsDir, 'daily_indexing.log'));
      if (!last) return item('phase4', 'daily-indexing', title, 'fail', 'web4 index daily has not run in this state root', 'web4 index daily (cron: the daily-indexing job at 21:00)');
      const detail = `last \`web4 index daily\` run ${last.at.slice(0, 16).replace('T', ' ')} UTC for ${last.day}: ${last.summary}`;
      return last.at.slice(0, 10) >= yesterday ? item('phase4', 'daily-indexing', title, 'ok', detail) : item('phase4', 'daily-indexing', title, 'warn', `${detail}; nothing since yesterday`, 'web4 index daily (and check the cron job: logs/cron_daily-indexing.log)');
    });

    await guard('phase4', 'evening-loop', 'Evening loop created and run at least once', () => {
      const title = 'Evening loop created and run at least once';
      if (metrics instanceof Error) throw metrics;
      const ended = nights.filter((n) => n.status === 'complete' || n.status === 'nothing' || n.status === 'rejected');
      const latest = nights[0];
      if (!latest) return item('phase4', 'evening-loop', title, 'fail', 'no night recorded yet', 'web4 index daily && web4 evening run');
      const counts = countBy(nights.map((n) => n.status));
      const detail = `${nights.length} nights (${Object.entries(counts).map(([s, n]) => `${n} ${s}`).join(', ')}); latest ${latest.runId}: ${latest.status}`;
      if (ended.length === 0) return item('phase4', 'evening-loop', title, 'warn', `${detail}: none has ended`, 'web4 evening status (then web4 evening resume)');
      return latest.status === 'open' || latest.status === 'failed'
        ? item('phase4', 'evening-loop', title, 'warn', detail, 'web4 evening status (then web4 evening resume)')
        : item('phase4', 'evening-loop', title, 'ok', detail);
    });

    await guard('phase4', 'backups', 'Backups', async () => {
      const title = 'Backups';
      const adapters = store ? new AdapterRegistry({ config, paths, store, ollamaUrl: ollama.url ?? 'http://127.0.0.1:0' }).backups() : [];
      const ragDir = join(dirname(paths.backupsDir), 'rag'); // where `web4 rag backup` writes by default
      const rag = existsSync(ragDir) ? readdirSync(ragDir).filter((n) => n.startsWith('rag_')).sort().reverse() : [];
      const adapterPart = adapters.length
        ? `${adapters.length} adapter backups (newest ${adapters[0]!.name} of ${adapters[0]!.version})`
        : production === BASE_VERSION ? 'no adapter backup (production is the base model: nothing to back up yet)' : `no adapter backup of production ${production}`;
      const ragPart = rag.length ? `${rag.length} retrieval-tier backups (newest ${rag[0]})` : 'no retrieval-tier backup';
      const adaptersOk = adapters.length > 0 || production === BASE_VERSION;
      const fixes = [...(adaptersOk ? [] : ['web4 evening run (each night backs up production first)']), ...(rag.length ? [] : ['web4 rag backup'])];
      const status: ChecklistStatus = adaptersOk && rag.length ? 'ok' : adapters.length || rag.length ? 'warn' : 'fail';
      return item('phase4', 'backups', title, status, `${adapterPart}; ${ragPart}`, fixes.join('; '));
    });

    await guard('phase4', 'canaries', 'Canary tests', () => {
      const title = 'Canary tests';
      const file = resolveStatePath(config, config.validation.canaryFile);
      if (!existsSync(file)) {
        return item('phase4', 'canaries', title, 'fail', `no case file at ${file} (validation.canaryFile): a night cannot gate its candidate`, `set validation.canaryFile in web4.config.json (the shipped cases: ${join(input.repo ?? repoRoot(), 'examples/canary/cases.yaml')})`);
      }
      const cases = loadCaseFile(file);
      const ran = nights.find((n) => n.canaries !== null);
      const detail = `${cases.length} cases in ${file}`;
      return ran
        ? item('phase4', 'canaries', title, 'ok', `${detail}; night ${ran.runId}: ${ran.canaries} passed`)
        : item('phase4', 'canaries', title, 'warn', `${detail}; no night has run them yet`, 'web4 evening run (every candidate must pass them); web4 validate --queries FILE tries a case file by hand');
    });

    await guard('phase4', 'rollback-tested', 'Rollback tested', () => {
      const title = 'Rollback tested';
      if (metrics instanceof Error) throw metrics;
      const rollbacks = store ? store.models.events(10_000).filter((e) => e.action === 'rolled_back') : [];
      const last = rollbacks[0];
      return last
        ? item('phase4', 'rollback-tested', title, 'ok', `${rollbacks.length} rollbacks; last ${last.at.slice(0, 16).replace('T', ' ')} UTC: ${last.fromVersion ?? '?'} → ${last.version}${last.reason ? ` ("${last.reason}")` : ''}`)
        : item('phase4', 'rollback-tested', title, 'fail', 'no rollback recorded in this state root', 'the rollback drill of docs/team_training.md: web4 model rollback --reason "drill", then web4 model promote <version> --reason "drill over"');
    });

    await guard('phase4', 'cron', 'Cron jobs configured', async () => {
      const title = 'Cron jobs configured';
      const plan = planSchedule(config, { runner: resolveJobRunner(findRepoRoot(input.repo ?? repoRoot())), ...(input.configFile ? { configFile: input.configFile } : {}) });
      const table = (input.crontab ?? new Crontab()).read().split('\n');
      const begin = table.indexOf(beginMarker(config.stateRoot));
      const end = begin < 0 ? -1 : table.indexOf(endMarker(config.stateRoot), begin + 1);
      if (begin < 0 || end < 0) return item('phase4', 'cron', title, 'fail', `no block of ${config.stateRoot} in the crontab`, 'npx nx run-many -t build && web4 schedule install (or run `web4 schedule run` under a service manager)');
      const block = table.slice(begin + 1, end);
      const missing = plan.jobs.filter((j) => !block.some((line) => line.startsWith(`${j.cron.trim().split(/\s+/).join(' ')} `) && line.endsWith(` >> ${shellWord(j.logFile)} 2>&1`)));
      const detail = `crontab block of ${config.stateRoot}: ${plan.jobs.length - missing.length}/${plan.jobs.length} jobs (${plan.jobs.map((j) => `${j.name} ${j.cron}`).join(', ')})`;
      return missing.length
        ? item('phase4', 'cron', title, 'warn', `${detail}; not as configured: ${missing.map((j) => j.name).join(', ')}`, 'web4 schedule install (replaces the block in place)')
        : item('phase4', 'cron', title, 'ok', detail);
    });

    await guard('phase4', 'alerts', 'Alerts configured', () => {
      const title = 'Alerts configured';
      alerterFromConfig(config, paths); // every setting a person must fix is a ConfigError here, before anything is sent
      const channels = [...new Set(config.alerts.channels)];
      const waiting = countLines(join(paths.logsDir, UNDELIVERED_FILE));
      const detail = `channels: ${channels.join(', ')}${waiting ? `; ${waiting} alerts wait in logs/${UNDELIVERED_FILE}` : ''} (secrets as this shell sees them; cron sees only web4.config.json and secret files)`;
      if (!channels.some((c) => c !== 'log')) return item('phase4', 'alerts', title, 'warn', `${detail}: alerts reach logs/alerts.log only, nobody is told`, 'add "slack" or "email" to alerts.channels (docs/runbooks/production_monitoring.md#alerts-slack-and-email), then web4 alert send "test"');
      if (waiting) return item('phase4', 'alerts', title, 'warn', detail, 'fix the channel named in the file, then web4 alert send "alerts are back"');
      return item('phase4', 'alerts', title, 'ok', detail);
    });

    await guard('phase4', 'rag-optimized', 'RAG parameters optimized', () => {
      const title = 'RAG parameters optimized';
      const file = input.configFile;
      const rag = file && existsSync(file) ? ((JSON.parse(readFileSync(file, 'utf8')) as { rag?: Record<string, unknown> }).rag ?? {}) : {};
      const written = ['nResults', 'fusion'].filter((k) => rag[k] !== undefined);
      const detail = written.length ? `rag.${written.join(' and rag.')} set in ${file}` : `rag.nResults and rag.fusion are the defaults${file ? ` (not in ${file})` : ' (no config file)'}`;
      if (written.length === 2) return item('phase4', 'rag-optimized', title, 'ok', `${detail} (by \`web4 rag optimize --apply\` or by hand)`);
      return item('phase4', 'rag-optimized', title, written.length ? 'warn' : 'fail', detail, 'web4 rag optimize (read it), then web4 rag optimize --apply');
    });

    await guard('phase4', 'cache', 'Hot-PDCA cache in use', async () => {
      const title = 'Hot-PDCA cache in use';
      const file = resolveStatePath(config, config.rag.metadataDb);
      const hint = 'retrieval records its lookups: web4 rag query "…" or web4 ask "…" (then web4 rag cache-stats)';
      if (!existsSync(file)) return item('phase4', 'cache', title, 'fail', `cache of ${config.rag.cacheSize} PDCAs configured; no ${file} yet: nothing indexed or retrieved`, `web4 index corpus, then ${hint}`);
      const metadata = (await ragTiers()).MetadataTier.open(file, { busyTimeoutMs: config.monitoring.busyTimeoutMs });
      try {
        const t = await metadata.accessTotals();
        const detail = `cache of ${config.rag.cacheSize} PDCAs; ${t.accesses} recorded lookups (${t.hits} hits${t.accesses ? `, ${((100 * t.hits) / t.accesses).toFixed(1)}%` : ''}), ${t.distinct} distinct PDCAs`;
        return t.accesses > 0 ? item('phase4', 'cache', title, 'ok', detail) : item('phase4', 'cache', title, 'warn', `${detail}: no lookup recorded yet`, hint);
      } finally {
        await metadata.close();
      }
    });

    const repo = input.repo ?? repoRoot();
    const missingDocs = REQUIRED_DOCS.filter((d) => !existsSync(join(repo, d)));
    add(
      missingDocs.length
        ? item('phase4', 'docs', 'Runbooks and training material present', 'fail', `missing in ${repo}: ${missingDocs.join(', ')}`, 'restore them from git (git checkout -- docs/)')
        : item('phase4', 'docs', 'Runbooks and training material present', 'ok', `${REQUIRED_DOCS.length} documents: ${REQUIRED_DOCS.map((d) => d.replace(/^docs\//, '')).join(', ')}`),
    );

    // ---- success criteria --------------------------------------------------------------------
    if (!report) {
      add(item('success', 'targets', 'Monitoring targets met', 'fail', noMetrics.detail, noMetrics.fix));
    } else {
      const missed = report.checks.filter((c) => c.judged && c.status === 'warn').map((c) => `${c.label} ${c.shown} (target ${c.target})`);
      add(
        report.verdict === 'met'
          ? item('success', 'targets', 'Monitoring targets met', 'ok', `all ${report.counts.met} targets met over ${window} days`)
          : report.verdict === 'missed'
            ? item('success', 'targets', 'Monitoring targets met', 'fail', `missed: ${missed.join('; ')}`, 'web4 monitor report (docs/runbooks/production_monitoring.md#when-a-target-is-missed)')
            : item('success', 'targets', 'Monitoring targets met', 'warn', `nothing to judge over ${window} days (no queries)`, 'web4 ask "…" records queries'),
      );
    }

    if (!store || !range) {
      add(item('success', 'training-first', 'Training-First (pure trained 50-60 %)', 'warn', 'no query recorded yet: nothing to judge', 'web4 ask "…" records queries'));
    } else {
      // Today's share, or the last day with queries when today has none yet.
      const today = isoDay(now);
      const day = range.last >= today ? today : range.last;
      const tf = buildQueryTypesReport(store, day, config.monitoring.targets).trainingFirst;
      const shown = `${tf.pct === null ? '–' : `${tf.pct.toFixed(1)} %`} answered by the trained model alone on ${day} (target ${tf.target.min}-${tf.target.max} %, accepted ${tf.accepted.min}-${tf.accepted.max} %)`;
      add(
        tf.verdict === 'target' || tf.verdict === 'accepted'
          ? item('success', 'training-first', 'Training-First (pure trained 50-60 %)', 'ok', `${shown}: ${tf.verdict}`)
          : tf.verdict === 'no_data'
            ? item('success', 'training-first', 'Training-First (pure trained 50-60 %)', 'warn', `${shown}: no data`, `web4 monitor query-types --date ${day}`)
            : item('success', 'training-first', 'Training-First (pure trained 50-60 %)', 'fail', `${shown}: missed`, `web4 monitor query-types --date ${day} (docs/runbooks/production_monitoring.md#training-first-outside-45-65-)`),
      );
    }

    await guard('success', 'satisfaction', 'User satisfaction', () => {
      const title = 'User satisfaction';
      if (feedback instanceof Error) throw feedback;
      const target = config.monitoring.targets.satisfactionPct;
      const today = utcMidnight(now);
      const s = feedback ? feedback.satisfaction(addDays(today, -(window - 1)), addDays(today, 1)) : { up: 0, total: 0, ratePct: null };
      const status = atLeast(s.ratePct, target);
      const shown = s.ratePct === null ? `no feedback in the last ${window} days` : `${s.ratePct.toFixed(1)} % (${s.up}/${s.total}) over ${window} days`;
      return status === 'pass'
        ? item('success', 'satisfaction', title, 'ok', `${shown}, target ≥ ${target} %`)
        : status === 'warn'
          ? item('success', 'satisfaction', title, 'fail', `${shown}, target ≥ ${target} %`, 'web4 feedback list --days 7 (read the thumbs-down comments)')
          : item('success', 'satisfaction', title, 'warn', shown, 'web4 feedback add --query "…" --response "…" --rating up|down');
    });

    await guard('success', 'nightly-improvement', `Nightly improvement validated over ${MORNINGS_NEEDED}-${MORNING_WINDOW_DAYS} nights`, () => {
      const title = `Nightly improvement validated over ${MORNINGS_NEEDED}-${MORNING_WINDOW_DAYS} nights`;
      if (metrics instanceof Error) throw metrics;
      const since = isoDay(addDays(utcMidnight(now), -(MORNING_WINDOW_DAYS - 1)));
      const promoted = nights.filter((n) => n.status === 'complete' && n.promotedFrom !== null && (n.day ?? n.startedAt.slice(0, 10)) >= since).length;
      const passed = mornings.filter((m) => m.pass).length;
      const last = mornings.at(-1);
      const detail = `${mornings.length} morning checks in the last ${MORNING_WINDOW_DAYS} days (${passed} passed${last ? `; latest ${last.day}: ${last.passRatePct.toFixed(1)} % with ${last.modelVersion ?? last.model}` : ''}); ${promoted} nights promoted a version`;
      const fix = 'web4 validate each morning after a night (cron: morning-validation at 09:00); web4 validate --history shows the trend';
      if (mornings.length === 0) return item('success', 'nightly-improvement', title, 'fail', detail, fix);
      if (mornings.length < MORNINGS_NEEDED || !last!.pass) return item('success', 'nightly-improvement', title, 'warn', `${detail}${last!.pass ? `: fewer than ${MORNINGS_NEEDED}` : ': the latest check failed'}`, last!.pass ? fix : 'web4 validate --history (a drop with a new version: web4 model rollback)');
      return item('success', 'nightly-improvement', title, 'ok', detail);
    });
  } finally {
    await journal?.close();
    if (metrics instanceof MetricsStore) metrics.close();
    if (feedback instanceof FeedbackStore) feedback.close();
  }

  const counts: Record<ChecklistStatus, number> = { ok: 0, warn: 0, fail: 0 };
  for (const i of items) counts[i.status]++;
  return { stateRoot: config.stateRoot, checkedAt: now.toISOString(), items, counts, complete: counts.warn === 0 && counts.fail === 0 };
}

function openOrError<T>(open: () => T): T | Error {
  try {
    return open();
  } catch (error) {
    return error as Error;
  }
}

function withTag(name: string): string {
  return name.includes(':') ? name : `${name}:latest`;
}

function countBy(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

function countLines(file: string): number {
  if (!existsSync(file)) return 0;
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').length;
}

/** The newest `daily <day>` run in logs/daily_indexing.log (the summary line `web4 index daily` appends). */
function lastDailyIndexing(file: string): { at: string; day: string; summary: string } | undefined {
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^(\S+) daily (\d{4}-\d{2}-\d{2}) \S+: (.*)$/.exec(lines[i]!);
    if (m) return { at: m[1]!, day: m[2]!, summary: m[3]! };
  }
  return undefined;
}

export function formatChecklist(c: Checklist): string[] {
  const lines = [`Deployment checklist of ${c.stateRoot} (${c.checkedAt.slice(0, 16).replace('T', ' ')} UTC)`];
  const width = Math.max(...c.items.map((i) => i.title.length));
  for (const section of Object.keys(SECTION_TITLES) as ChecklistSection[]) {
    lines.push('', SECTION_TITLES[section]);
    for (const i of c.items.filter((x) => x.section === section)) {
      // ⚠️ takes two columns on a terminal, ✓ and ✗ one: pad so that the titles line up.
      lines.push(`  ${MARKS[i.status]}${i.status === 'warn' ? ' ' : '  '}${i.title.padEnd(width)}  ${i.detail}`);
      if (i.fix) lines.push(`     ${' '.repeat(width)}  → ${i.fix}`);
    }
  }
  lines.push(
    '',
    c.complete
      ? `All ${c.items.length} items ✓.`
      : `${c.counts.ok} ✓, ${c.counts.warn} ⚠️, ${c.counts.fail} ✗ of ${c.items.length}: run the commands marked →.`,
  );
  return lines;
}

export const checklistCommand: CommandModule<object, GlobalArgs> = {
  command: 'checklist',
  describe:
    "The plan's prerequisites, Phase 4 completion checklist and success criteria, each ✓/⚠️/✗ from this state root's records, crontab block, files, services and config, with the command for each item not ✓. Exit 0 every item ✓, 1 any ⚠️ or ✗, 2 bad config.",
  handler: (args) =>
    runCommand(args, async () => {
      const ctx = createContext(args);
      const checklist = await buildChecklist({ config: ctx.config, paths: ctx.paths, configFile: ctx.configFile ?? join(ctx.paths.root, 'web4.config.json'), now: ctx.clock.now() });
      ctx.emit(checklist);
      for (const line of formatChecklist(checklist)) ctx.say(line);
      return checklist.complete ? EXIT_CODES.ok : EXIT_CODES.checkFailed;
    }),
};
