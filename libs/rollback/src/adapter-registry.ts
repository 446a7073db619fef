import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Clock, ConfigError, InputError, type Logger, type StatePaths, StorageError, type Web4Config, silentLogger, systemClock } from '@web4/core';
import { buildAtomically } from '@web4/local-services';
import { BASE_VERSION, MODEL_TAGS, type MetricsStore, type ModelEvent, type ModelTag, type ModelVersionRecord } from '@web4/metrics-store';
import { OllamaModels } from './ollama-models.js';
import { registerModel, type RegisteredModel, type ServeMode } from './register-model.js';
import { checksumProblems, corruptVersionError, DEFINING_FILE, folderChecksums } from './version-files.js';
import { describeVersion, tagModelNames, versionDir, versionModelName } from './version-names.js';

export interface AdapterRegistryOptions {
  config: Web4Config;
  paths: StatePaths;
  /** The metrics database: the registry's rows live beside the runs they came from. */
  store: MetricsStore;
  ollamaUrl: string;
  logger?: Logger;
  clock?: Clock;
  /**
   * Merge a PEFT adapter into the base and write the servable model (the trainer's `export`):
   * needed to restore a version from a backup, which keeps the adapter but not the merged model.
   */
  exportMergedModel?: (adapterDir: string, outDir: string) => Promise<void>;
  signal?: AbortSignal;
}

export interface BackupInfo {
  name: string;
  dir: string;
  version: string;
  createdAt: string;
  files: Record<string, string>;
}

export interface TagSync {
  tag: ModelTag;
  name: string;
  version: string | undefined;
  action: 'unchanged' | 'copied' | 'removed' | 'registered+copied';
}

export interface PruneReport {
  backupsRemoved: string[];
  versionsRemoved: string[];
  ollamaNamesRemoved: string[];
}

export interface RegistryListing {
  tags: Partial<Record<ModelTag, string>>;
  versions: Array<ModelVersionRecord & { tags: ModelTag[]; filesPresent: boolean }>;
  backups: BackupInfo[];
  events: ModelEvent[];
}

const BACKUP_META = 'version.json';
/** Recorded for a version's own name while it is being created in Ollama. */
const PENDING_DIGEST = 'pending';
const BACKUP_SUMS = 'checksums.sha256';

/**
 * Every trained adapter as an immutable version (its folder, its manifest, its checksums), and
 * which version each serving tag holds: `latest` (production), `previous`, `candidate`.
 * Promotion and rollback move tags — in the registry first, in one transaction, then in Ollama,
 * where each version has its own name and a tag is a copy of it (shared blobs, no weights
 * copied) — and never overwrite a file. Ollama is brought to what the registry says by
 * `syncOllama`, which a resumed night simply calls again.
 */
export class AdapterRegistry {
  readonly ollama: OllamaModels;
  readonly tagNames: Record<ModelTag, string>;
  private readonly config: Web4Config;
  private readonly paths: StatePaths;
  private readonly store: MetricsStore;
  private readonly logger: Logger;
  private readonly clock: Clock;

  constructor(private readonly o: AdapterRegistryOptions) {
    this.config = o.config;
    this.paths = o.paths;
    this.store = o.store;
    this.logger = o.logger ?? silentLogger();
    this.clock = o.clock ?? systemClock;
    this.ollama = new OllamaModels(o.ollamaUrl, o.config.evening.ollamaTimeoutMs);
    this.tagNames = tagModelNames(o.config);
  }

  // ---- reading ----------------------------------------------------------------------------

  tags(): Partial<Record<ModelTag, string>> {
    return this.store.models.tags();
  }

  /** The production version, or `base` before the first promotion. */
  production(): string {
    return this.tags().latest ?? BASE_VERSION;
  }

  version(version: string): ModelVersionRecord | undefined {
    return this.store.models.version(version);
  }

  /** The PEFT adapter folder of a version; undefined for the base model. */
  adapterDir(version: string): string | undefined {
    if (version === BASE_VERSION) return undefined;
    return join(this.requireVersion(version).dir, 'adapter');
  }

  ollamaName(version: string): string {
    return version === BASE_VERSION ? this.config.models.baseModel : (this.version(version)?.ollamaName ?? versionModelName(this.config, version));
  }

  dirOf(version: string): string {
    return this.version(version)?.dir ?? versionDir(this.paths.outputsDir, version);
  }

  list(): RegistryListing {
    const tags = this.tags();
    const versions = this.store.models.versions().map((v) => ({
      ...v,
      tags: MODEL_TAGS.filter((t) => tags[t] === v.version),
      filesPresent: existsSync(join(v.dir, 'manifest.json')),
    }));
    return { tags, versions, backups: this.backups(), events: this.store.models.events(50) };
  }

  // ---- recording and checking versions ---------------------------------------------------

  /** Record what a finished training run wrote, with the checksums of the files that define it. */
  async recordTrained(o: { version: string; dir: string; runId: string | null; parentVersion: string; details?: Record<string, unknown> }): Promise<ModelVersionRecord> {
    const manifestFile = join(o.dir, 'manifest.json');
    const manifest = readManifest(manifestFile);
    const files = await folderChecksums(o.dir, DEFINING_FILE);
    const samples = manifest.samples as { count?: number } | undefined;
    this.store.models.recordVersion({
      version: o.version,
      dir: o.dir,
      runId: o.runId,
      parentVersion: o.parentVersion,
      samples: samples?.count ?? 0,
      trainLoss: typeof manifest.final_loss === 'number' ? manifest.final_loss : null,
      details: {
        steps: manifest.steps,
        epochs: manifest.epochs_run ?? null,
        tokensTrained: manifest.tokens_trained,
        trainS: manifest.train_s,
        runtimeS: manifest.runtime_s,
        device: manifest.device,
        files,
        ...(o.details ?? {}),
      },
      ollamaName: versionModelName(this.config, o.version),
      manifestSha256: files['manifest.json']!,
    });
    return this.requireVersion(o.version);
  }

  /** What is wrong with a version's files (missing folder, changed manifest or adapter); empty when intact. */
  async damage(version: string): Promise<string[]> {
    if (version === BASE_VERSION) return [];
    const rec = this.requireVersion(version);
    if (!existsSync(rec.dir)) return [`the folder ${rec.dir} is missing`];
    const files = (rec.details.files ?? { 'manifest.json': rec.manifestSha256 }) as Record<string, string>;
    const problems = await checksumProblems(rec.dir, files);
    if (problems.length === 0) {
      try {
        readManifest(join(rec.dir, 'manifest.json'));
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
    return problems;
  }

  async requireIntact(version: string): Promise<void> {
    const problems = await this.damage(version);
    if (problems.length > 0) throw corruptVersionError(version, this.dirOf(version), problems);
  }

  // ---- Ollama ------------------------------------------------------------------------------

  /**
   * Create the version's own Ollama name from its folder (merged weights by default; `gguf-lora`
   * only where this Ollama accepts ADAPTER — it is asked, not assumed). Verified: listed, answers.
   */
  async registerVersion(version: string, o: { verifyPrompt?: string } = {}): Promise<RegisteredModel & { note?: string }> {
    await this.requireIntact(version);
    const rec = this.requireVersion(version);
    let mode: ServeMode = this.config.trainer.serveMode;
    let note: string | undefined;
    if (mode === 'gguf-lora') {
      const caps = await this.ollama.capabilities();
      if (!caps.acceptsAdapter) {
        mode = 'merged';
        note = `Ollama ${caps.version} refuses ADAPTER (0.34.1 and later): served from the merged weights`;
        this.logger.warn({ version: caps.version }, note);
      }
    }
    if (mode === 'merged' && !existsSync(join(rec.dir, 'model')) && this.o.exportMergedModel) {
      await this.o.exportMergedModel(join(rec.dir, 'adapter'), join(rec.dir, 'model'));
    }
    await this.guardName(rec.ollamaName, await this.ollama.digests());
    // Claimed before it exists: a crash between the create and its record leaves a name still ours.
    this.store.models.recordOllamaName(rec.ollamaName, PENDING_DIGEST);
    const registered = await registerModel(rec.ollamaName, rec.dir, {
      ollamaUrl: this.o.ollamaUrl,
      baseModel: this.config.models.baseModel,
      mode,
      quantize: this.config.trainer.quantize,
      timeoutMs: this.config.evening.ollamaTimeoutMs,
      logger: this.logger,
      ...(o.verifyPrompt ? { verifyPrompt: o.verifyPrompt } : {}),
      ...(this.o.signal ? { signal: this.o.signal } : {}),
    });
    const digest = await this.ollama.digest(rec.ollamaName);
    if (digest) this.store.models.recordOllamaName(rec.ollamaName, digest);
    return note ? { ...registered, note } : registered;
  }

  /** Register a freshly trained version and point the candidate tag at it. */
  async setCandidate(version: string, runId: string | null): Promise<RegisteredModel & { note?: string }> {
    await this.checkServingNames([this.tagNames.candidate, this.ollamaName(version)]);
    const registered = await this.registerVersion(version);
    this.store.models.apply({ tags: { candidate: version }, event: { action: 'registered', version, runId, reason: 'candidate' } });
    await this.syncTag('candidate', await this.ollama.digests());
    return registered;
  }

  /**
   * Make Ollama's tags hold what the registry says: each tag becomes a copy of its version's own
   * name (registered again from its folder when Ollama lost it); a tag the registry does not
   * set is removed. Idempotent: calling it again changes nothing.
   */
  async syncOllama(): Promise<TagSync[]> {
    const digests = await this.ollama.digests();
    const out: TagSync[] = [];
    for (const tag of MODEL_TAGS) out.push(await this.syncTag(tag, digests));
    return out;
  }

  private async syncTag(tag: ModelTag, digests: Map<string, string>): Promise<TagSync> {
    const version = this.tags()[tag];
    const name = this.tagNames[tag];
    if (!version) {
      if (tag !== 'candidate' && digests.has(name)) {
        await this.guardName(name, digests);
        await this.ollama.remove(name);
        this.store.models.forgetOllamaName(name);
        digests.delete(name);
        return { tag, name, version, action: 'removed' };
      }
      return { tag, name, version, action: 'unchanged' };
    }
    const source = this.ollamaName(version);
    let action: TagSync['action'] = 'copied';
    if (!digests.has(source)) {
      if (version === BASE_VERSION) {
        throw new StorageError(`The base model ${source} is not in Ollama at ${this.o.ollamaUrl}.`, { hint: 'Run `web4 services up` (it imports web4-base) or set models.baseModel.' });
      }
      await this.registerVersion(version);
      const fresh = await this.ollama.digests();
      for (const [k, v] of fresh) digests.set(k, v);
      action = 'registered+copied';
    }
    if (digests.get(name) === digests.get(source)) {
      // Already right; recorded as ours only when it is (a tag another root set to the same model stays theirs).
      if (this.ownsName(name, digests)) this.store.models.recordOllamaName(name, digests.get(name)!);
      return { tag, name, version, action: 'unchanged' };
    }
    await this.guardName(name, digests);
    await this.ollama.copy(source, name);
    digests.set(name, digests.get(source)!);
    this.store.models.recordOllamaName(name, digests.get(source)!);
    this.logger.info({ tag: name, version, source }, 'Ollama tag moved');
    return { tag, name, version, action };
  }

  // ---- promotion, rejection, rollback ------------------------------------------------------

  /**
   * Production := `version`, previous := the production it replaces. Registry first (one
   * transaction), then Ollama. Promoting the version that is already production only syncs
   * Ollama, so a promotion interrupted half-way finishes when called again.
   */
  async promote(version: string, o: { runId?: string | null; reason?: string; gates?: Record<string, unknown> } = {}): Promise<{ from: string; to: string; tags: TagSync[] }> {
    const { from } = await this.recordPromotion(version, o);
    const tags = await this.syncOllama();
    return { from, to: version, tags };
  }

  /**
   * The registry half of a promotion (one transaction); `syncOllama` is the other half. Returns
   * the production it replaced — also when called again after the transaction had committed.
   */
  async recordPromotion(version: string, o: { runId?: string | null; reason?: string; gates?: Record<string, unknown> } = {}): Promise<{ from: string }> {
    await this.requireIntact(version);
    const tags = this.tags();
    const current = tags.latest ?? BASE_VERSION;
    if (current === version) return { from: tags.previous ?? BASE_VERSION };
    await this.checkServingNames([this.tagNames.latest, this.tagNames.previous]);
    this.store.models.apply({
      tags: { latest: version, previous: current },
      versions: [{ version, state: 'promoted', promotedAt: this.clock.now().toISOString(), reason: null, ...(o.gates ? { gates: o.gates } : {}) }],
      event: { action: 'promoted', version, fromVersion: current, runId: o.runId ?? null, reason: o.reason ?? null },
    });
    return { from: current };
  }

  /** The gates failed: production stays; the candidate keeps its files and its reason. */
  reject(version: string, o: { runId?: string | null; reason: string; gates?: Record<string, unknown> }): void {
    this.requireVersion(version);
    this.store.models.apply({
      versions: [{ version, state: 'rejected', reason: o.reason, ...(o.gates ? { gates: o.gates } : {}) }],
      event: { action: 'rejected', version, runId: o.runId ?? null, reason: o.reason },
    });
  }

  /** Record gate results on a version without changing its state (the night's decision step). */
  recordGates(version: string, gates: Record<string, unknown>): void {
    this.store.models.apply({ versions: [{ version, gates }] });
  }

  /**
   * Production := `to` (default: previous). The version rolled away from is marked rolled back
   * with the reason; previous becomes what `to` itself replaced (its parent), so a second
   * rollback keeps going back rather than flipping between two versions.
   */
  async rollback(o: { to?: string; reason: string; runId?: string | null; force?: boolean }): Promise<{ from: string; to: string; tags: TagSync[] }> {
    const tags = this.tags();
    const from = tags.latest ?? BASE_VERSION;
    const to = o.to ?? tags.previous;
    if (!to) throw new InputError('There is no previous version to roll back to (production is the first one).', { hint: '`web4 model list` shows the versions; name one with --to VERSION.' });
    if (to === from) throw new InputError(`${describeVersion(to)} is already production.`, { hint: '`web4 model list` shows which version holds which tag.' });
    if (to !== BASE_VERSION) {
      const rec = this.version(to);
      if (!rec) throw new InputError(`No model version ${to}.`, { hint: '`web4 model list` shows the versions and backups.' });
      if (rec.state === 'rejected' && !o.force) {
        throw new InputError(`${to} was rejected by the gates (${rec.reason ?? 'no reason recorded'}); it is not rolled back to without --force.`, { hint: 'Pick another version, or add --force if a person checked it.' });
      }
      await this.requireIntact(to);
    }
    await this.checkServingNames([this.tagNames.latest, this.tagNames.previous]);
    const target = to === BASE_VERSION ? undefined : this.requireVersion(to);
    const newPrevious = target?.parentVersion && (target.parentVersion === BASE_VERSION || this.version(target.parentVersion)?.state !== 'rejected') ? target.parentVersion : null;
    this.store.models.apply({
      tags: { latest: to, previous: newPrevious },
      versions: [
        ...(from !== BASE_VERSION && this.version(from) ? [{ version: from, state: 'rolled_back' as const, reason: o.reason }] : []),
        ...(target ? [{ version: to, state: 'promoted' as const }] : []),
      ],
      event: { action: 'rolled_back', version: to, fromVersion: from, runId: o.runId ?? null, reason: o.reason },
    });
    const synced = await this.syncOllama();
    return { from, to, tags: synced };
  }

  // ---- backups --------------------------------------------------------------------------------

  /**
   * Copy the production version's defining files (adapter, manifest, GGUF LoRA) to
   * `backups/adapters/backup_<stamp>/` with their checksums, verified after the copy; written
   * beside and renamed, so a backup exists complete or not at all. A damaged production version
   * is first restored from its newest intact backup. Nothing to do when production is the base.
   */
  async backupProduction(stamp: string): Promise<BackupInfo | undefined> {
    const version = this.production();
    if (version === BASE_VERSION) return undefined;
    const problems = await this.damage(version);
    if (problems.length > 0) {
      const source = this.backups().find((b) => b.version === version);
      if (!source) throw corruptVersionError(version, this.dirOf(version), problems);
      this.logger.warn({ version, problems, backup: source.name }, 'production adapter damaged: restoring it from its backup');
      await this.restoreBackup(source.name);
    }
    const name = `backup_${stamp}`;
    const dir = join(this.paths.backupsDir, name);
    if (existsSync(dir)) {
      const existing = this.readBackup(name);
      if (existing && existing.version === version && (await checksumProblems(dir, existing.files)).length === 0) return existing;
      throw new StorageError(`${dir} exists but is not an intact backup of ${version}.`, { hint: `Move it aside (mv "${dir}" "${dir}.bad") and run again.` });
    }
    const rec = this.requireVersion(version);
    const files = (rec.details.files ?? {}) as Record<string, string>;
    const info: BackupInfo = { name, dir, version, createdAt: this.clock.now().toISOString(), files };
    try {
      mkdirSync(this.paths.backupsDir, { recursive: true });
      await buildAtomically(dir, async (tmp) => {
        for (const rel of Object.keys(files)) {
          mkdirSync(dirname(join(tmp, rel)), { recursive: true });
          copyFileSync(join(rec.dir, rel), join(tmp, rel));
        }
        writeFileSync(join(tmp, BACKUP_META), JSON.stringify({ version, sourceDir: rec.dir, createdAt: info.createdAt, files }, null, 2) + '\n');
        writeFileSync(join(tmp, BACKUP_SUMS), Object.entries(files).map(([rel, sha]) => `${sha}  ${rel}`).join('\n') + '\n');
        const bad = await checksumProblems(tmp, files);
        if (bad.length > 0) throw new StorageError(`The backup copy of ${version} does not match its source: ${bad.join('; ')}.`, { hint: 'Check the disk of the backups folder.' });
      });
    } catch (error) {
      throw fileError(error, `back up ${version} to ${dir}`, this.paths.backupsDir);
    }
    return info;
  }

  /** Backups, newest first. */
  backups(): BackupInfo[] {
    if (!existsSync(this.paths.backupsDir)) return [];
    return readdirSync(this.paths.backupsDir)
      .filter((n) => n.startsWith('backup_'))
      .sort()
      .reverse()
      .map((n) => this.readBackup(n))
      .filter((b): b is BackupInfo => b !== undefined);
  }

  private readBackup(name: string): BackupInfo | undefined {
    const dir = join(this.paths.backupsDir, name);
    try {
      const meta = JSON.parse(readFileSync(join(dir, BACKUP_META), 'utf8')) as { version: string; createdAt: string; files: Record<string, string> };
      return { name, dir, version: meta.version, createdAt: meta.createdAt, files: meta.files };
    } catch {
      return undefined;
    }
  }

  /**
   * Put a backed-up version back into `outputs/` (its own folder; a damaged folder is moved
   * aside as `<folder>.damaged-<stamp>`, never deleted), re-create its merged model, and record
   * it in the registry when the registry had lost it. Returns the version.
   */
  async restoreBackup(name: string): Promise<string> {
    const backup = this.readBackup(name);
    if (!backup) throw new InputError(`No backup ${name} in ${this.paths.backupsDir}.`, { hint: '`web4 model list` shows the backups.' });
    const bad = await checksumProblems(backup.dir, backup.files);
    if (bad.length > 0) throw new StorageError(`Backup ${name} is damaged: ${bad.join('; ')}.`, { hint: 'Pick an older backup from `web4 model list`.' });
    const version = backup.version;
    const dir = this.version(version)?.dir ?? versionDir(this.paths.outputsDir, version);
    const intact = existsSync(dir) && (await checksumProblems(dir, backup.files)).length === 0;
    if (!intact) {
      if (existsSync(dir)) renameSync(dir, `${dir}.damaged-${this.clock.now().toISOString().replace(/[-:]/g, '').slice(0, 15)}`);
      await buildAtomically(dir, async (tmp) => {
        for (const rel of Object.keys(backup.files)) {
          mkdirSync(dirname(join(tmp, rel)), { recursive: true });
          copyFileSync(join(backup.dir, rel), join(tmp, rel));
        }
        if (this.config.trainer.serveMode === 'merged' || !backup.files['adapter.gguf']) {
          if (!this.o.exportMergedModel) throw new InputError('Restoring a backup needs the trainer to re-create the merged model (exportMergedModel).');
          await this.o.exportMergedModel(join(tmp, 'adapter'), join(tmp, 'model'));
        }
      });
      // The Ollama name of the damaged folder may hold the damaged weights: register it again.
      if (this.version(version)) await this.removeOwnName(this.version(version)!.ollamaName);
    }
    if (!this.version(version)) {
      const manifest = readManifest(join(dir, 'manifest.json'));
      const parentAdapter = manifest.parent_adapter as string | null | undefined;
      const parent = parentAdapter ? (this.store.models.versions().find((v) => join(v.dir, 'adapter') === parentAdapter)?.version ?? null) : BASE_VERSION;
      await this.recordTrained({ version, dir, runId: null, parentVersion: parent ?? BASE_VERSION, details: { restoredFrom: name } });
    }
    this.store.models.apply({ versions: [{ version, details: { restoredFrom: name } }], event: { action: 'restored', version, reason: `from ${name}` } });
    return version;
  }

  // ---- retention ----------------------------------------------------------------------------

  /**
   * Keep the newest `evening.retention.backups` backups, `rejectedCandidates` rejected versions
   * and `retiredVersions` other versions; never a version a tag holds. Ollama keeps the own names
   * of tagged versions only (a rollback to another version registers it again from its folder).
   */
  async prune(): Promise<PruneReport> {
    const keep = this.config.evening.retention;
    const report: PruneReport = { backupsRemoved: [], versionsRemoved: [], ollamaNamesRemoved: [] };
    const tagged = new Set(Object.values(this.tags()));
    const backups = this.backups();
    const protectedBackups = new Set(backups.filter((b) => b.version === this.production()).slice(0, 1).map((b) => b.name));
    for (const b of backups.slice(keep.backups)) {
      if (protectedBackups.has(b.name)) continue;
      rmSync(b.dir, { recursive: true, force: true });
      report.backupsRemoved.push(b.name);
    }
    const versions = this.store.models.versions().filter((v) => !tagged.has(v.version) && existsSync(v.dir));
    const rejected = versions.filter((v) => v.state === 'rejected');
    const retired = versions.filter((v) => v.state !== 'rejected' && v.state !== 'trained');
    for (const v of [...rejected.slice(keep.rejectedCandidates), ...retired.slice(keep.retiredVersions)]) {
      rmSync(v.dir, { recursive: true, force: true });
      rmSync(`${v.dir}.job`, { recursive: true, force: true });
      this.store.models.apply({ versions: [{ version: v.version, details: { filesRemovedAt: this.clock.now().toISOString() } }] });
      report.versionsRemoved.push(v.version);
    }
    const digests = await this.ollama.digests();
    for (const v of this.store.models.versions()) {
      if (tagged.has(v.version) || !digests.has(v.ollamaName)) continue;
      if (!this.ownsName(v.ollamaName, digests)) continue; // another deployment's model under a name like ours: not ours to delete
      await this.ollama.remove(v.ollamaName);
      this.store.models.forgetOllamaName(v.ollamaName);
      report.ollamaNamesRemoved.push(v.ollamaName);
    }
    return report;
  }

  // ---- whose names these are -----------------------------------------------------------------

  /**
   * True when Ollama holds under `name` what this state root put there (or nothing): the digest
   * it recorded when it wrote the name (or a name it was creating), the model of one of its own
   * versions, or, for names written before digests were recorded, the model of one of its earlier
   * versions.
   */
  ownsName(name: string, digests: Map<string, string>): boolean {
    const current = digests.get(name);
    if (current === undefined) return true;
    const owned = this.store.models.ollamaNames();
    if (owned.get(name) === current || owned.get(name) === PENDING_DIGEST) return true;
    // A tag moved to one of our own versions whose record was lost to a crash right after the copy.
    const ownVersionDigests = new Set(this.store.models.versions().map((v) => owned.get(v.ollamaName)));
    if (ownVersionDigests.has(current)) return true;
    if (owned.has(name)) return false; // we wrote it, someone else has replaced it since
    const legacy = this.store.models.versionsBeforeNameTracking();
    return legacy.some((v) => {
      const own = this.version(v)?.ollamaName;
      return own !== undefined && own !== name && digests.get(own) === current;
    });
  }

  /**
   * Before the registry records a change: every Ollama name it will move (default: the three
   * tags) holds what this state root put there, else a ConfigError saying to set another
   * deployment name. The nightly loop can call it first, before hours of training.
   */
  async checkServingNames(names: string[] = Object.values(this.tagNames)): Promise<void> {
    const digests = await this.ollama.digests();
    for (const name of names) await this.guardName(name, digests);
  }

  /** Stop before overwriting or deleting a name whose model this state root did not register. */
  private async guardName(name: string, digests: Map<string, string>): Promise<void> {
    if (this.ownsName(name, digests)) return;
    const deployment = this.config.deployment.name;
    throw new ConfigError(
      `Ollama at ${this.o.ollamaUrl} holds ${name} (digest ${digests.get(name)!.slice(0, 12)}), a model this state root did not register: another deployment uses the name "${name.split(':')[0]}". Nothing was moved.`,
      {
        hint: `Set another deployment name in this state root's config (deployment.name in web4.config.json, now "${deployment}"; or WEB4_DEPLOYMENT__NAME), e.g. "${deployment}-${basenameOf(this.config.stateRoot)}"; two state roots on one Ollama need two names.`,
        details: { name, digest: digests.get(name), deployment },
      },
    );
  }

  private async removeOwnName(name: string): Promise<void> {
    await this.guardName(name, await this.ollama.digests());
    await this.ollama.remove(name);
    this.store.models.forgetOllamaName(name);
  }

  private requireVersion(version: string): ModelVersionRecord {
    const rec = this.version(version);
    if (!rec) throw new InputError(`No model version ${version} in the registry.`, { hint: '`web4 model list` shows the versions.' });
    return rec;
  }
}

function basenameOf(path: string): string {
  return (path.split('/').filter(Boolean).pop() ?? 'root').toLowerCase().replace(/[^a-z0-9._-]+/g, '-');
}

/** A file-system failure as a StorageError that says what to do (a full disk, no permission). */
export function fileError(error: unknown, action: string, dir: string): unknown {
  if (error instanceof StorageError || !(error instanceof Error)) return error;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const hint =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? `The disk of ${dir} is full: free space (older backups and outputs can go: \`web4 model list\`), then \`web4 evening resume\`. Nothing was changed in production.`
      : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? `Make ${dir} writable by this user, then \`web4 evening resume\`.`
        : `Check ${dir}, then \`web4 evening resume\`.`;
  return new StorageError(`Could not ${action}: ${error.message}`, { hint, cause: error, details: { dir, errno: code } });
}

/** manifest.json of a version, or a StorageError that says what is wrong with it. */
export function readManifest(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new StorageError(`Cannot read ${file}: ${(cause as Error).message}`, { cause, hint: 'The version folder is incomplete: restore it from a backup or roll back to another version.' });
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
    return value as Record<string, unknown>;
  } catch (cause) {
    throw new StorageError(`${file} is not a valid manifest: ${(cause as Error).message}`, { cause, hint: 'The version folder is damaged: restore it from a backup or roll back to another version.' });
  }
}

