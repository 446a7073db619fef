import { ConfigError, StorageError } from '@web4/core';

/** The URL with its password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}

/**
 * Where the storage.url in use was set, for the hints of its errors: the environment variable
 * WEB4_STORAGE__URL when it holds this very URL (it overrides the file), web4.config.json when
 * that variable is not set, else both are named.
 */
export function storageUrlSetting(url: string, env: NodeJS.ProcessEnv = process.env): { name: string; remove: string } {
  const variable = env.WEB4_STORAGE__URL;
  if (variable !== undefined && variable === url) return { name: 'the environment variable WEB4_STORAGE__URL', remove: 'unset it' };
  if (variable === undefined) return { name: 'storage.url in web4.config.json', remove: 'remove it' };
  return { name: 'storage.url (web4.config.json, or WEB4_STORAGE__URL)', remove: 'remove it' };
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

/**
 * A `pg` failure as an error that says what to fix: a server that cannot be reached, a login it
 * refuses or a database it lacks is a configuration problem (exit 2, naming storage.url); other
 * server errors during `action` are storage problems (exit 3). A web4 error passes unchanged.
 */
export function toPostgresError(error: unknown, url: string, action: string): unknown {
  if (error instanceof ConfigError || error instanceof StorageError) return error;
  const code = String((error as { code?: unknown })?.code ?? '');
  const message = (error as Error)?.message ?? String(error);
  const where = redactUrl(url);
  const details = { url: where, code: code || undefined };
  const setting = storageUrlSetting(url);
  // 08xxx: connection exceptions; 57P01-57P03: the server shut down or is starting (a restart).
  if (UNREACHABLE.has(code) || code.startsWith('08') || /^57P0[123]$/.test(code) || /timeout expired|Connection terminated/i.test(message)) {
    return new ConfigError(`Cannot reach the PostgreSQL server of storage.url (${where}): ${message}; could not ${action}.`, {
      hint: `Start that server (or check the host, port and firewall), or correct ${setting.name}; ${setting.remove} to use the SQLite files under the state root.`,
      cause: error,
      details,
    });
  }
  if (code === '28P01' || code === '28000') {
    return new ConfigError(`The PostgreSQL server of storage.url (${where}) refused the login: ${message}.`, {
      hint: `Put a user the server accepts (and its password, percent-encoded) in ${setting.name}, or allow this host in its pg_hba.conf.`,
      cause: error,
      details,
    });
  }
  if (code === '3D000') {
    const database = (() => {
      try {
        return decodeURIComponent(new URL(url).pathname.slice(1));
      } catch {
        return '?';
      }
    })();
    return new ConfigError(`The database "${database}" of storage.url (${where}) does not exist on that server.`, {
      hint: `Create it (createdb -h <host> -U <user> ${database}, or CREATE DATABASE "${database}"), or name an existing one in ${setting.name}.`,
      cause: error,
      details,
    });
  }
  if (code === '42501') {
    return new ConfigError(`The user of storage.url (${where}) may not ${action}: ${message}.`, {
      hint: 'Grant it CREATE on the database (GRANT CREATE ON DATABASE … TO …), or use a user that owns the database.',
      cause: error,
      details,
    });
  }
  if (/^[0-9A-Z]{5}$/.test(code)) {
    return new StorageError(`PostgreSQL (${where}) failed to ${action}: ${message} (SQLSTATE ${code}).`, { cause: error, details });
  }
  return error;
}
