import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { canonicalRow, canonicalValue, TableChecksum, valueKindOf } from './copy-canonical.js';

describe('the canonical form the copy compares rows by', () => {
  it('gives the same string for what SQLite and pg hand over for one stored value', () => {
    // SQLite (safeIntegers) → BigInt; pg: integer → number, bigint → string.
    expect(canonicalValue(9007199254740993n, 'int')).toBe('i:9007199254740993');
    expect(canonicalValue('9007199254740993', 'int')).toBe('i:9007199254740993');
    expect(canonicalValue(42n, 'int')).toBe(canonicalValue(42, 'int'));
    // A double, as better-sqlite3 returns it and as pg parses PostgreSQL's shortest output.
    const x = 0.1 + 0.2;
    expect(canonicalValue(x, 'float')).toBe(canonicalValue(Number.parseFloat(String(x)), 'float'));
    expect(canonicalValue(3, 'float')).toBe('f:3');
    expect(canonicalValue('héllo ✓', 'text')).toBe('t:héllo ✓');
    expect(canonicalValue(null, 'text')).toBeNull();
    expect(canonicalValue(undefined, 'int')).toBeNull();
  });

  it('keeps apart values that only look alike: the last bit of a double, text in an integer column, an empty string and null', () => {
    expect(canonicalValue(0.30000000000000004, 'float')).not.toBe(canonicalValue(0.3, 'float'));
    expect(canonicalValue('1', 'text')).not.toBe(canonicalValue(1n, 'int'));
    expect(canonicalValue('abc', 'int')).toBe('?:string:abc');
    expect(canonicalValue('', 'text')).not.toBe(canonicalValue(null, 'text'));
  });

  it('rows read from a real SQLite file with safeIntegers hash the same as the same values in pg form', () => {
    const db = new BetterSqlite3(':memory:');
    db.defaultSafeIntegers(true);
    db.exec('CREATE TABLE t (id integer primary key, n integer, x real, s text)');
    db.prepare('INSERT INTO t VALUES (?, ?, ?, ?)').run(1n, 5_000_000_000n, 1 / 3, 'ça');
    db.prepare('INSERT INTO t VALUES (?, ?, ?, ?)').run(2n, null, 2, null);
    const columns = [{ name: 'id', kind: 'int' as const }, { name: 'n', kind: 'int' as const }, { name: 'x', kind: 'float' as const }, { name: 's', kind: 'text' as const }];
    const fromSqlite = new TableChecksum();
    for (const row of db.prepare('SELECT * FROM t ORDER BY id').all() as Array<Record<string, unknown>>) fromSqlite.add(canonicalRow(row, columns));
    db.close();
    const fromPg = new TableChecksum();
    fromPg.add(canonicalRow({ id: 1, n: '5000000000', x: 0.3333333333333333, s: 'ça' }, columns));
    fromPg.add(canonicalRow({ id: 2, n: null, x: 2, s: null }, columns));
    expect(fromPg.rows).toBe(2);
    expect(fromSqlite.digest()).toBe(fromPg.digest());
  });

  it('knows the PostgreSQL types the migrations use and no others', () => {
    expect(['integer', 'bigint', 'double precision', 'text'].map(valueKindOf)).toEqual(['int', 'int', 'float', 'text']);
    expect(valueKindOf('bytea')).toBeUndefined();
    expect(valueKindOf('jsonb')).toBeUndefined();
  });
});
