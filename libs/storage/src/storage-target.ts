import { ConfigError, storageUrlProblem, type Web4Config } from '@web4/core';
import { redactUrl, storageUrlSetting } from './postgres-error.js';

/** Where a state root's records live, from `storage.url`. */
export type StorageTarget = { dialect: 'sqlite' } | { dialect: 'postgres'; url: string; displayUrl: string };

/** `storage.url` read: absent or `sqlite:` → the embedded files; `postgres://…` → that database. */
export function storageTarget(config: Pick<Web4Config, 'storage'>): StorageTarget {
  const url = config.storage.url;
  if (url === undefined || url.startsWith('sqlite:')) return { dialect: 'sqlite' };
  // loadConfig has checked it; a config built in code may not have been.
  const problem = storageUrlProblem(url);
  if (problem) {
    const setting = storageUrlSetting(url);
    throw new ConfigError(`storage.url: ${problem}.`, { hint: `Fix ${setting.name}, or ${setting.remove} to use SQLite.` });
  }
  return { dialect: 'postgres', url, displayUrl: redactUrl(url) };
}
