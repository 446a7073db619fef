import { ServiceError } from '@web4/core';
import { Ollama } from 'ollama';

/** The first Ollama release that refuses `ADAPTER` in a Modelfile (DESIGN.md). */
export const ADAPTER_REFUSED_FROM: readonly [number, number, number] = [0, 34, 1];

export interface OllamaCapabilities {
  /** What the server says it is (`/api/version`), not what the config builds. */
  version: string;
  /** Whether this release still accepts a Modelfile `ADAPTER` (releases before 0.34.1). */
  acceptsAdapter: boolean;
}

/** `a < b` for dotted versions (a leading `v` and a `-suffix` are ignored). */
export function versionBefore(version: string, limit: readonly [number, number, number]): boolean {
  const parts = version.replace(/^v/, '').split(/[.-]/).slice(0, 3).map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < 3; i++) if ((parts[i] ?? 0) !== limit[i]) return (parts[i] ?? 0) < limit[i]!;
  return false;
}

/**
 * The model names the registry moves in one Ollama: digests, copies (a tag move shares the
 * blobs, it copies no weights), deletions, and a check that a name answers.
 */
export class OllamaModels {
  private readonly client: Ollama;
  constructor(
    readonly url: string,
    private readonly timeoutMs = 15 * 60_000,
  ) {
    this.client = new Ollama({
      host: url,
      fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.any([AbortSignal.timeout(this.timeoutMs), ...(init?.signal ? [init.signal] : [])]) }),
    });
  }

  async capabilities(): Promise<OllamaCapabilities> {
    const { version } = await this.call('ask its version', () => this.client.version());
    return { version, acceptsAdapter: versionBefore(version, ADAPTER_REFUSED_FROM) };
  }

  /** name → digest of every model Ollama holds. */
  async digests(): Promise<Map<string, string>> {
    const { models } = await this.call('list its models', () => this.client.list());
    const out = new Map<string, string>();
    for (const m of models) {
      out.set(m.name, m.digest);
      if (m.name.endsWith(':latest')) out.set(m.name.slice(0, -':latest'.length), m.digest);
    }
    return out;
  }

  async digest(name: string): Promise<string | undefined> {
    return (await this.digests()).get(name);
  }

  async copy(source: string, destination: string): Promise<void> {
    await this.call(`copy ${source} to ${destination}`, () => this.client.copy({ source, destination }));
  }

  /** Remove a name; one that does not exist is not an error. */
  async remove(name: string): Promise<boolean> {
    try {
      await this.client.delete({ model: name });
      return true;
    } catch (error) {
      if (/not found/i.test((error as Error).message)) return false;
      throw this.serviceError(`delete ${name}`, error);
    }
  }

  /** Ask `name` a short question at temperature 0: the check that a served model really answers. */
  async answer(name: string, prompt = 'Say hello.', numPredict = 16): Promise<string> {
    const r = await this.call(`ask ${name}`, () =>
      this.client.chat({ model: name, messages: [{ role: 'user', content: prompt }], options: { temperature: 0, seed: 42, num_predict: numPredict }, stream: false }),
    );
    return r.message.content;
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw this.serviceError(what, error);
    }
  }

  private serviceError(what: string, error: unknown): ServiceError {
    return new ServiceError(`Ollama at ${this.url} could not ${what}: ${(error as Error).message}`, {
      hint: 'Check `web4 services status` (start it with `web4 services up`); nothing was changed in production by this failed call.',
      cause: error,
      details: { service: 'ollama', url: this.url },
    });
  }
}
