import { join } from 'node:path';
import type { Web4Config } from '@web4/core';
import { BASE_VERSION, type ModelTag } from '@web4/metrics-store';

/** `v<YYYYMMDD_HHMMSS>`: the version trained by the run of that stamp. */
export function versionOfStamp(stamp: string): string {
  return `v${stamp}`;
}

export function stampOfVersion(version: string): string {
  return version.replace(/^v/, '');
}

/** outputs/web4_balanced_lora_<stamp>: the plan's folder name, one per version, never overwritten. */
export function versionDir(outputsDir: string, version: string): string {
  return join(outputsDir, `web4_balanced_lora_${stampOfVersion(version)}`);
}

/** The Ollama names of the serving tags (config models.*Model). */
export function tagModelNames(config: Web4Config): Record<ModelTag, string> {
  return { latest: config.models.productionModel, previous: config.models.previousModel, candidate: config.models.candidateModel };
}

/** A version's own immutable Ollama name, beside the moving tags: web4-agent:v20261125-220000. */
export function versionModelName(config: Web4Config, version: string): string {
  const repo = config.models.productionModel.split(':')[0]!;
  return `${repo}:${version.replace(/_/g, '-')}`;
}

export function describeVersion(version: string | undefined): string {
  return version === undefined ? '(none)' : version === BASE_VERSION ? 'base model' : version;
}

/**
 * The lock that model changes take: the nightly loop holds it for a whole night, and
 * `web4 model promote|rollback` take it too, so production never moves under a running night.
 */
export const REGISTRY_LOCK = 'evening';
