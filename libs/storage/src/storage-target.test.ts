import { describe, expect, it } from 'vitest';
import { ConfigError, storageUrlProblem } from '@web4/core';
import { redactUrl } from './postgres-error.js';
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
});
