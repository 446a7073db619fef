import { servedModel, servedVersion, servingClient } from '@web4/canary-suite';
import type { Logger, Web4Config } from '@web4/core';
import type { MetricsStore } from '@web4/metrics-store';

/**
 * Which registry version a served Ollama name is (`base`, `v…`, or null when unknown), and
 * which model answers a request that names none. Both are cached for `ttlMs`: the registry moves
 * its tags a few times a night, the serving path asks on every query and must not read SQLite
 * (or ask Ollama) each time.
 */
export class ServedModels {
  private readonly versions = new Map<string, { version: string | null; at: number }>();
  private defaultModel: { name: string; at: number } | undefined;
  private readonly client: ReturnType<typeof servingClient>;

  constructor(
    private readonly config: Web4Config,
    private readonly store: MetricsStore,
    ollamaUrl: string,
    private readonly logger: Logger,
    private readonly ttlMs = 10_000,
  ) {
    this.client = servingClient(ollamaUrl, config.gateway.upstreamTimeoutMs);
  }

  /** The registry version behind an Ollama model name, from the cache when fresh. */
  versionOf(model: string): string | null {
    const now = performance.now();
    const hit = this.versions.get(model);
    if (hit && now - hit.at < this.ttlMs) return hit.version;
    let version: string | null = null;
    try {
      version = servedVersion(this.config, this.store, model);
    } catch (error) {
      this.logger.warn({ err: error, model }, 'gateway: could not read the model registry; version recorded as unknown');
    }
    // Bounded: client-chosen names must not grow the map without end.
    if (this.versions.size >= 1000) this.versions.clear();
    this.versions.set(model, { version, at: now });
    return version;
  }

  /** The production model when Ollama lists it, else the base model (like `web4 ask`). */
  async defaultName(): Promise<string> {
    const now = performance.now();
    if (this.defaultModel && now - this.defaultModel.at < this.ttlMs) return this.defaultModel.name;
    const name = await servedModel(this.client, this.config.models);
    this.defaultModel = { name, at: now };
    return name;
  }
}
