import { type Clock, InputError } from '@web4/core';
import type { Compilable, Selectable } from 'kysely';
import type { MetricsDatabase, ModelEventsTable, ModelVersionsTable } from './schema/metrics-database.js';
import type { SqliteFile } from './sqlite-file.js';
import { toStorageError } from './storage-error.js';

export type ModelTag = 'latest' | 'previous' | 'candidate';
export const MODEL_TAGS: readonly ModelTag[] = ['latest', 'previous', 'candidate'];
/** The version name that stands for the base model (no adapter). */
export const BASE_VERSION = 'base';

export type VersionState = 'trained' | 'promoted' | 'rejected' | 'rolled_back';

export interface ModelVersionRecord {
  version: string;
  dir: string;
  createdAt: string;
  runId: string | null;
  parentVersion: string | null;
  state: VersionState;
  reason: string | null;
  samples: number;
  trainLoss: number | null;
  gates: Record<string, unknown> | null;
  details: Record<string, unknown>;
  ollamaName: string;
  manifestSha256: string;
  promotedAt: string | null;
}

export interface ModelEvent {
  id: number;
  at: string;
  action: string;
  version: string;
  fromVersion: string | null;
  runId: string | null;
  reason: string | null;
}

export interface RegistryChange {
  /** Tags to point at a version (`base` for the base model), or null to remove. */
  tags?: Partial<Record<ModelTag, string | null>>;
  versions?: Array<{ version: string; state?: VersionState; reason?: string | null; gates?: Record<string, unknown>; details?: Record<string, unknown>; promotedAt?: string }>;
  event?: { action: string; version: string; fromVersion?: string | null; runId?: string | null; reason?: string | null };
}

/**
 * The rows behind libs/rollback's AdapterRegistry: versions, tags and events. A change (tags
 * moved, states set, an event recorded) is one write transaction, so a crash never leaves a
 * tag pointing at a version whose state says otherwise.
 */
export class ModelRegistryStore {
  constructor(
    private readonly file: SqliteFile<MetricsDatabase>,
    private readonly clock: Clock,
  ) {}

  /** Add a version, or refresh what is known about it (a resumed run records it again). */
  recordVersion(rec: Omit<ModelVersionRecord, 'createdAt' | 'promotedAt' | 'state' | 'reason' | 'gates'> & { createdAt?: string }): void {
    if (!/^v\d{8}_\d{6}/.test(rec.version)) throw new InputError(`A model version is named v<YYYYMMDD_HHMMSS>, got "${rec.version}".`);
    const row = {
      version: rec.version,
      dir: rec.dir,
      created_at: rec.createdAt ?? this.clock.now().toISOString(),
      run_id: rec.runId,
      parent_version: rec.parentVersion,
      state: 'trained',
      reason: null,
      samples: rec.samples,
      train_loss: rec.trainLoss,
      gates: null,
      details: JSON.stringify(rec.details),
      ollama_name: rec.ollamaName,
      manifest_sha256: rec.manifestSha256,
      promoted_at: null,
    };
    this.write(
      this.file.db
        .insertInto('model_versions')
        .values(row)
        .onConflict((oc) =>
          oc.column('version').doUpdateSet({ dir: row.dir, run_id: row.run_id, parent_version: row.parent_version, samples: row.samples, train_loss: row.train_loss, details: row.details, ollama_name: row.ollama_name, manifest_sha256: row.manifest_sha256 }),
        ),
      `record model version ${rec.version}`,
    );
  }

  version(version: string): ModelVersionRecord | undefined {
    return this.read(this.file.db.selectFrom('model_versions').selectAll().where('version', '=', version)).map(toVersion)[0];
  }

  /** Newest first. */
  versions(limit = 1000): ModelVersionRecord[] {
    return this.read(this.file.db.selectFrom('model_versions').selectAll().orderBy('version', 'desc').limit(limit)).map(toVersion);
  }

  tags(): Partial<Record<ModelTag, string>> {
    const rows = this.read(this.file.db.selectFrom('model_tags').selectAll());
    return Object.fromEntries(rows.map((r) => [r.tag, r.version])) as Partial<Record<ModelTag, string>>;
  }

  /** Newest first. */
  events(limit = 100): ModelEvent[] {
    return this.read(this.file.db.selectFrom('model_events').selectAll().orderBy('id', 'desc').limit(limit)).map(toEvent);
  }

  apply(change: RegistryChange): void {
    const now = this.clock.now().toISOString();
    const db = this.file.db;
    try {
      this.file.writeTransaction(() => {
        for (const [tag, version] of Object.entries(change.tags ?? {})) {
          if (version === null) this.file.runNow(db.deleteFrom('model_tags').where('tag', '=', tag));
          else if (version !== undefined) {
            this.file.runNow(db.insertInto('model_tags').values({ tag, version, updated_at: now }).onConflict((oc) => oc.column('tag').doUpdateSet({ version, updated_at: now })));
          }
        }
        for (const v of change.versions ?? []) {
          const current = this.version(v.version);
          if (!current) throw new InputError(`No model version ${v.version} in the registry.`);
          this.file.runNow(
            db
              .updateTable('model_versions')
              .set({
                ...(v.state ? { state: v.state } : {}),
                ...(v.reason !== undefined ? { reason: v.reason } : {}),
                ...(v.gates ? { gates: JSON.stringify(v.gates) } : {}),
                ...(v.details ? { details: JSON.stringify({ ...current.details, ...v.details }) } : {}),
                ...(v.promotedAt ? { promoted_at: v.promotedAt } : {}),
              })
              .where('version', '=', v.version),
          );
        }
        if (change.event) {
          const e = change.event;
          this.file.runNow(db.insertInto('model_events').values({ at: now, action: e.action, version: e.version, from_version: e.fromVersion ?? null, run_id: e.runId ?? null, reason: e.reason ?? null }));
        }
      });
    } catch (error) {
      throw toStorageError(error, this.file.path, 'update the model registry');
    }
  }

  /** Record that this state root put the model `digest` under the Ollama name `name`. */
  recordOllamaName(name: string, digest: string): void {
    const now = this.clock.now().toISOString();
    this.write(
      this.file.db.insertInto('ollama_names').values({ name, digest, updated_at: now }).onConflict((oc) => oc.column('name').doUpdateSet({ digest, updated_at: now })),
      `record Ollama name ${name}`,
    );
  }

  /**
   * Versions recorded before this store tracked Ollama names (migration 6): their own names were
   * registered by this state root, but no digest was recorded for them.
   */
  versionsBeforeNameTracking(): string[] {
    const applied = this.read(this.file.db.selectFrom('schema_migrations').select('applied_at').where('version', '=', 6))[0]?.applied_at;
    if (!applied) return [];
    return this.read(this.file.db.selectFrom('model_versions').select('version').where('created_at', '<', applied)).map((r) => r.version);
  }

  /** Forget an Ollama name this state root removed. */
  forgetOllamaName(name: string): void {
    this.write(this.file.db.deleteFrom('ollama_names').where('name', '=', name), `forget Ollama name ${name}`);
  }

  /** name → digest of every Ollama name this state root wrote. */
  ollamaNames(): Map<string, string> {
    return new Map(this.read(this.file.db.selectFrom('ollama_names').selectAll()).map((r) => [r.name, r.digest]));
  }

  /** Forget a version whose folder was removed by retention (its events stay). */
  deleteVersion(version: string): void {
    this.write(this.file.db.deleteFrom('model_versions').where('version', '=', version), `forget model version ${version}`);
  }

  private write(query: Compilable, action: string): void {
    try {
      this.file.runNow(query);
    } catch (error) {
      throw toStorageError(error, this.file.path, action);
    }
  }

  private read<R>(query: Compilable<R>): R[] {
    try {
      return this.file.allNow(query);
    } catch (error) {
      throw toStorageError(error, this.file.path, 'read the model registry');
    }
  }
}

function toVersion(r: Selectable<ModelVersionsTable>): ModelVersionRecord {
  return {
    version: r.version,
    dir: r.dir,
    createdAt: r.created_at,
    runId: r.run_id,
    parentVersion: r.parent_version,
    state: r.state as VersionState,
    reason: r.reason,
    samples: r.samples,
    trainLoss: r.train_loss,
    gates: r.gates ? (JSON.parse(r.gates) as Record<string, unknown>) : null,
    details: JSON.parse(r.details) as Record<string, unknown>,
    ollamaName: r.ollama_name,
    manifestSha256: r.manifest_sha256,
    promotedAt: r.promoted_at,
  };
}

function toEvent(r: Selectable<ModelEventsTable>): ModelEvent {
  return { id: r.id, at: r.at, action: r.action, version: r.version, fromVersion: r.from_version, runId: r.run_id, reason: r.reason };
}
