import { describe, expect, it } from 'vitest';
import { ConfigError, storageUrlProblem } from '@web4/core';
import { redactUrl, storageUrlSetting, toPostgresError } from './postgres-error.js';
import { storageTarget } from './storage-target.js';

describe('storage.url', () => {
  it('absent or sqlite: selects the embedded SQLite files', () => {
    expect(storageTarget({ storage: {} })).toEqual({ dialect: 'sqlite' });
    expect(storageTarget({ storage: { url: 'sqlite:' } })).toEqual({ dialect: 'sqlite' });
  });

  it('postgres:// (or postgresql://) selects that database; the password never shows', () => {
    expect(storageTarget({ storage: { url: 'postgres://web4:p%40ss@db.example:5433/records' } })).toEqual({
      dialect: 'postgres',
      url: 'postgres://web4:p%40ss@db.example:5433/records',
      displayUrl: 'postgres://web4:***@db.example:5433/records',
    });
    expect(storageTarget({ storage: { url: 'postgresql://db/records' } })).toMatchObject({ dialect: 'postgres' });
    expect(redactUrl('postgres://u:x@h/d')).toBe('postgres://u:***@h/d');
  });

  it('any other scheme, a URL without database or host, or an unparsable one is refused saying what to write', () => {
    expect(storageUrlProblem('mysql://u@h/d')).toBe(
      'the scheme "mysql:" is not supported: use "sqlite:" (the embedded files under the state root) or "postgres://user[:password]@host[:port]/database"',
    );
    expect(storageUrlProblem('/var/lib/web4.db')).toMatch(/^not a URL: use "sqlite:"/);
    expect(storageUrlProblem('sqlite:///var/lib/web4.db')).toBe('write just "sqlite:": the SQLite files are paths.metricsDb and paths.feedbackDb (relative to the state root)');
    expect(storageUrlProblem('postgres://u@h')).toMatch(/^a PostgreSQL URL names its database after the host/);
    expect(storageUrlProblem('postgres://u:a/b@h/d')).toMatch(/percent-encoded|names its/);
    expect(() => storageTarget({ storage: { url: 'mysql://u@h/d' } })).toThrow(ConfigError);
  });

  it('the hints name where the URL in use was set: WEB4_STORAGE__URL when it holds it, else web4.config.json', () => {
    const url = 'postgres://web4@127.0.0.1:1/records';
    expect(storageUrlSetting(url, { WEB4_STORAGE__URL: url })).toEqual({ name: 'the environment variable WEB4_STORAGE__URL', remove: 'unset it' });
    expect(storageUrlSetting(url, {})).toEqual({ name: 'storage.url in web4.config.json', remove: 'remove it' });
    expect(storageUrlSetting(url, { WEB4_STORAGE__URL: 'postgres://elsewhere/x' }).name).toBe('storage.url (web4.config.json, or WEB4_STORAGE__URL)');
    const saved = process.env.WEB4_STORAGE__URL;
    process.env.WEB4_STORAGE__URL = url;
    try {
      // What a refused connection turns into, named for the variable that set the URL.
      const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
      const error = toPostgresError(refused, url, 'read the metrics schema') as ConfigError;
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.hint).toBe('Start that server (or check the host, port and firewall), or correct the environment variable WEB4_STORAGE__URL; unset it to use the SQLite files under the state root.');
      process.env.WEB4_STORAGE__URL = 'mysql://u@h/d';
      expect(() => storageTarget({ storage: { url: 'mysql://u@h/d' } })).toThrow(expect.objectContaining({ hint: 'Fix the environment variable WEB4_STORAGE__URL, or unset it to use SQLite.' }));
    } finally {
      if (saved === undefined) delete process.env.WEB4_STORAGE__URL;
      else process.env.WEB4_STORAGE__URL = saved;
    }
  });
});
