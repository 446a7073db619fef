import { existsSync } from 'node:fs';
import { type Clock, EXIT_CODES, fileStamp, isoDay, RunningClock } from '@web4/core';
import { MetricsStore, RecordsPublisher, type RunStep } from '@web4/metrics-store';
import type { RagStack } from '@web4/rag-tiers';
import { AdapterRegistry, versionDir, versionOfStamp } from '@web4/rollback';
import { removePartialOutputs } from '@web4/trainer-bridge';
import { EveningLog } from './evening-log.js';
import { DECISION_STEP, NIGHT_ROW, type NightStatus, type NightStep, plannedSteps, runIdOf, stampOfRun } from './night-plan.js';
import { STEP_BODIES, stopStrayTrainer } from './night-steps.js';
import { closingBlock, nightOutcome, type NightOutcome } from './night-summary.js';
import { EVENING_LOCK, errorDetails, type EveningLoopOptions, EXIT_LOCKED, faultPoint, type Night } from './night.js';

export { EVENING_LOCK, EXIT_LOCKED, errorDetails, type EveningLoopOptions, faultPoint, type Night } from './night.js';

/**
 * The nightly learning loop as a persisted state machine (DESIGN.md, "The nightly loop"):
 * lock → backup → read the buffer → samples → train → evaluate → register the candidate →
 * canaries → decide → promote (or reject) → mark trained → copy to history → archive → clear →
 * prune → summary. Every step is recorded before and after it runs and is idempotent, so a
 * crash at any point is continued by `resume` (or finished or cleaned up by the next `run`).
 * Production is never touched before the decision; no buffer item is deleted before it is
 * archived and present in pdca_historical.
 */
export class EveningLoop {
  private readonly clock: Clock;
  private readonly log: EveningLog;
  private store: MetricsStore | undefined;
  private publisher: RecordsPublisher | undefined;
  private ragStack: Promise<RagStack> | undefined;

  constructor(private readonly o: EveningLoopOptions) {
    this.clock = new RunningClock(o.clock.now());
    this.log = new EveningLog({
      logsDir: o.paths.logsDir,
      clock: this.clock,
      level: o.config.logging.level,
      ...(o.noFiles ? { noFiles: true } : {}),
      ...(o.console !== undefined ? { console: o.console } : {}),
    });
  }

  get logFile(): string | undefined {
    return this.log.file;
  }

  /**
   * Tonight's run. An open night that reached its decision is finished first (its promotion and
   * bookkeeping must complete); one that had not is abandoned (its partial outputs removed, its
   * items still untrained) and tonight's night trains everything untrained.
   */
  async run(): Promise<NightOutcome> {
    return this.locked('evening run', async (store) => {
      const open = this.openRun(store);
      let finished: NightOutcome | undefined;
      if (open) {
        if (store.runs.steps(open).some((s) => s.step === DECISION_STEP && s.status === 'done')) {
          this.log.info(`Night ${open} stopped after its decision: finishing it first`);
          finished = await this.drive(open, store);
          if (finished.status === 'open') return finished;
        } else {
          await this.abandon(open, store);
        }
      }
      // One night per second of the clock: a clock stopped at one instant (WEB4_NOW) still gets distinct nights.
      let at = this.clock.now();
      while (store.runs.steps(runIdOf(fileStamp(at))).length > 0 || existsSync(versionDir(this.o.paths.outputsDir, versionOfStamp(fileStamp(at))))) at = new Date(at.getTime() + 1000);
      const stamp = fileStamp(at);
      const runId = runIdOf(stamp);
      store.runs.start(runId, NIGHT_ROW, { status: 'open' satisfies NightStatus, day: isoDay(at), version: versionOfStamp(stamp), pid: process.pid });
      const outcome = await this.drive(runId, store);
      return finished ? { ...outcome, finishedEarlierNight: finished } : outcome;
    });
  }

  /** Continue the open night from the step in flight (after a crash, or after fixing what failed). */
  async resume(): Promise<NightOutcome> {
    return this.locked('evening resume', async (store) => {
      const open = this.openRun(store);
      if (!open) {
        this.log.info('Nothing to resume: no night is open.');
        return { ...emptyOutcome('none'), status: 'nothing', exitCode: EXIT_CODES.ok, logFile: this.log.file };
      }
      return this.drive(open, store);
    });
  }

  /**
   * Walk every step and say what a real run would do, reading the buffer, the registry and the
   * lock but changing nothing: no lock taken, no file written, no model created.
   */
  async dryRun(): Promise<{ lines: string[]; items: number; samples: number }> {
    const { dryRunNight } = await import('./dry-run.js');
    const exists = existsSync(this.o.paths.metricsDb);
    const store = exists ? this.openStore() : undefined;
    try {
      return await dryRunNight({
        o: this.o,
        log: this.log,
        clock: this.clock,
        store,
        registry: store ? this.registry(store) : undefined,
        openRun: store ? this.openRun(store) : undefined,
        rag: () => this.rag(),
      });
    } finally {
      await this.close();
    }
  }

  /** The newest night that is still open, if any. */
  private openRun(store: MetricsStore): string | undefined {
    for (const runId of store.runs.runIds(20, 'night_')) {
      const row = store.runs.steps(runId).find((s) => s.step === NIGHT_ROW);
      if (row?.details.status === 'open') return runId;
    }
    return undefined;
  }

  private async locked(owner: string, body: (store: MetricsStore) => Promise<NightOutcome>): Promise<NightOutcome> {
    const store = this.openStore();
    const lock = store.locks.acquire(EVENING_LOCK, `${owner} (pid ${process.pid})`);
    if (!lock.acquired) {
      const h = lock.holder;
      this.log.warn(`Another nightly run holds the lock: ${h.owner}, pid ${h.pid} on ${h.host}, since ${h.acquiredAt}. Exiting without doing anything.`, { holder: h });
      return { ...emptyOutcome('locked'), status: 'locked', exitCode: EXIT_LOCKED, logFile: this.log.file, holder: h };
    }
    if (lock.takenOverFrom) {
      this.log.warn(`Took over the lock of a dead run (${lock.takenOverFrom.owner}, pid ${lock.takenOverFrom.pid}, since ${lock.takenOverFrom.acquiredAt})`, { takenOverFrom: lock.takenOverFrom });
    }
    try {
      return await body(store);
    } finally {
      store.locks.release(EVENING_LOCK);
      await this.close();
    }
  }

  private openStore(): MetricsStore {
    if (!this.store) {
      this.store = MetricsStore.open(this.o.paths.metricsDb, { clock: this.clock, busyTimeoutMs: this.o.config.monitoring.busyTimeoutMs });
      // storage.url = postgres://…: the journal is published there as it is written (the file stays what a night resumes from).
      this.publisher = RecordsPublisher.forConfig(this.o.config, this.store, this.log);
    }
    return this.store;
  }

  private rag(): Promise<RagStack> {
    this.ragStack ??= this.o.openRag().catch((error: unknown) => {
      this.ragStack = undefined;
      throw error;
    });
    return this.ragStack;
  }

  async close(): Promise<void> {
    const rag = this.ragStack;
    this.ragStack = undefined;
    await (await rag?.catch(() => undefined))?.close();
    const publisher = this.publisher;
    this.publisher = undefined;
    await publisher?.close();
    this.store?.close();
    this.store = undefined;
  }

  registry(store: MetricsStore): AdapterRegistry {
    return new AdapterRegistry({
      config: this.o.config,
      paths: this.o.paths,
      store,
      ollamaUrl: this.o.ollamaUrl,
      logger: this.log.logger,
      clock: this.clock,
      exportMergedModel: (adapterDir, outDir) => import('./trainer-export.js').then((m) => m.exportMerged(this.o, adapterDir, outDir)),
      ...(this.o.signal ? { signal: this.o.signal } : {}),
    });
  }

  private night(runId: string, store: MetricsStore): Night {
    const stamp = stampOfRun(runId);
    const version = versionOfStamp(stamp);
    const outputDir = versionDir(this.o.paths.outputsDir, version);
    const row = store.runs.steps(runId).find((s) => s.step === NIGHT_ROW);
    const done = new Map<NightStep, Record<string, unknown>>();
    const statuses = new Map<NightStep, RunStep['status']>();
    for (const s of store.runs.steps(runId)) {
      if (s.step === NIGHT_ROW) continue;
      statuses.set(s.step as NightStep, s.status);
      if (s.status === 'done' || s.status === 'skipped') done.set(s.step as NightStep, s.details);
    }
    return {
      o: this.o,
      runId,
      stamp,
      version,
      day: String(row?.details.day ?? isoDay(this.clock.now())),
      outputDir,
      workDir: `${outputDir}.job`,
      clock: this.clock,
      log: this.log,
      store,
      registry: this.registry(store),
      rag: () => this.rag(),
      done,
      status: (step) => statuses.get(step),
      note: (step, details) => store.runs.note(runId, step, details),
    };
  }

  /** Run the night's remaining steps in order; returns its outcome (never throws for a failed step). */
  private async drive(runId: string, store: MetricsStore): Promise<NightOutcome> {
    const n = this.night(runId, store);
    const resumedAt = [...NIGHT_STEPS_IN(n)].find((s) => n.status(s) === 'running' || n.status(s) === 'failed');
    const started = n.done.size > 0 || resumedAt !== undefined;
    this.log.info(`${started ? 'Resuming' : 'Starting'} night ${runId} (day ${n.day})${resumedAt ? ` at step ${resumedAt}, which ${n.status(resumedAt) === 'running' ? 'was in flight' : 'had failed'}` : ''}`, { runId, resumedAt });
    store.runs.start(runId, 'lock', { pid: process.pid });
    store.runs.finish(runId, 'lock', 'done');
    store.runs.note(runId, NIGHT_ROW, { status: 'open', lastPid: process.pid });
    let failure: { step: NightStep; error: unknown } | undefined;
    for (;;) {
      const next = nextStep(n);
      if (!next) break;
      if (this.o.signal?.aborted) {
        failure = { step: next, error: this.o.signal.reason ?? new Error('interrupted') };
        break;
      }
      await this.o.hooks?.beforeStep?.(next, runId);
      faultPoint(`before:${next}`);
      store.runs.start(runId, next, n.status(next) ? { resumed: true } : {});
      try {
        const details = await STEP_BODIES[next](n);
        store.runs.finish(runId, next, details.skipped ? 'skipped' : 'done', details);
        n.done.set(next, { ...details });
      } catch (error) {
        store.runs.finish(runId, next, 'failed', errorDetails(error));
        failure = { step: next, error };
        break;
      }
      faultPoint(`after:${next}`);
      await this.o.hooks?.afterStep?.(next, runId);
    }
    return this.finish(n, failure);
  }

  private async finish(n: Night, failure: { step: NightStep; error: unknown } | undefined): Promise<NightOutcome> {
    const outcome = nightOutcome(n, failure);
    n.store.runs.note(n.runId, NIGHT_ROW, { status: outcome.status, exitCode: outcome.exitCode, ...(failure ? { failedStep: failure.step, error: errorDetails(failure.error) } : {}) });
    if (outcome.status !== 'open') {
      n.store.runs.finish(n.runId, NIGHT_ROW, outcome.status === 'complete' || outcome.status === 'nothing' ? 'done' : 'failed', { status: outcome.status });
    }
    this.log.block(closingBlock(outcome), { outcome });
    if (failure || outcome.status === 'rejected' || outcome.status === 'failed') {
      await this.alert(n, outcome);
    }
    return { ...outcome, logFile: this.log.file };
  }

  private async alert(n: Night, outcome: NightOutcome): Promise<void> {
    if (!this.o.alerts) return;
    const what =
      outcome.status === 'rejected'
        ? `candidate ${n.version} rejected: ${outcome.gates?.reasons.join('; ') ?? 'a gate failed'}. Production unchanged (${outcome.served.latest}).`
        : outcome.status === 'failed'
          ? `${outcome.error?.message ?? 'the promoted model failed'}; rolled back to ${outcome.served.latest}.`
          : `night ${n.runId} stopped at step ${outcome.failedStep}: ${outcome.error?.message ?? 'unknown error'}${outcome.error?.hint ? ` → ${outcome.error.hint}` : ''}`;
    try {
      await this.o.alerts.send({
        level: outcome.status === 'rejected' ? 'warn' : 'error',
        title: `⚠️ Evening Loop Alert: ${what}`,
        message: what,
        runId: n.runId,
        at: this.clock.now().toISOString(),
        details: { status: outcome.status, failedStep: outcome.failedStep, logFile: this.log.file },
      });
    } catch (error) {
      this.log.warn(`The alert could not be sent: ${(error as Error).message}`);
    }
  }

  /**
   * An open night that never reached its decision is replaced by a new one: nothing of it is in
   * production and its items are still untrained. Its trainer is stopped if still alive, its
   * partial output removed, and a finished-but-unjudged candidate is marked rejected with why.
   */
  private async abandon(runId: string, store: MetricsStore): Promise<void> {
    const n = this.night(runId, store);
    const at = [...NIGHT_STEPS_IN(n)].find((s) => n.status(s) === 'running' || n.status(s) === 'failed') ?? nextStep(n) ?? 'start';
    this.log.warn(`Night ${runId} stopped at step ${at} before its decision: abandoning it; tonight's night trains its items again`, { runId, at });
    stopStrayTrainer(n);
    removePartialOutputs(n.outputDir);
    if (n.registry.version(n.version)?.state === 'trained') {
      n.registry.reject(n.version, { runId, reason: `abandoned: its night stopped at step ${at} and a new night started` });
    }
    if (existsSync(n.outputDir) && !n.registry.version(n.version)) {
      this.log.info(`Kept the unregistered output ${n.outputDir} for inspection (retention removes it).`);
    }
    store.runs.finish(runId, NIGHT_ROW, 'failed', { status: 'abandoned' satisfies NightStatus, abandonedAt: this.clock.now().toISOString(), abandonedAtStep: at });
  }
}

function* NIGHT_STEPS_IN(n: Night): Generator<NightStep> {
  for (const s of plannedSteps(planState(n))) yield s;
}

export function planState(n: Night): { items?: number; decided?: boolean; pass?: boolean } {
  const read = n.done.get('read_buffer');
  const decide = n.done.get('decide');
  return {
    ...(read ? { items: Number(read.pdcas ?? 0) } : {}),
    ...(decide ? { decided: true, pass: Boolean(decide.pass) } : {}),
  };
}

/** The first planned step that has not finished. */
export function nextStep(n: Night): NightStep | undefined {
  return plannedSteps(planState(n)).find((s) => !n.done.has(s));
}

function emptyOutcome(runId: string): NightOutcome {
  return {
    runId,
    status: 'nothing',
    exitCode: 0,
    items: 0,
    chunks: 0,
    samples: 0,
    replayed: 0,
    version: null,
    adapterDir: null,
    trainLoss: null,
    gates: null,
    losses: null,
    served: { latest: 'base', previous: null },
    timings: {},
    runtimeS: 0,
  };
}
