import { createHash, type Hash } from 'node:crypto';

/** How a column's values are compared across dialects, from its PostgreSQL type. */
export type ValueKind = 'int' | 'float' | 'text';

/** The kind of a PostgreSQL column type (information_schema's `data_type`), or undefined for a type the copy does not carry. */
export function valueKindOf(dataType: string): ValueKind | undefined {
  switch (dataType) {
    case 'smallint':
    case 'integer':
    case 'bigint':
      return 'int';
    case 'double precision':
    case 'real':
      return 'float';
    case 'text':
    case 'character varying':
      return 'text';
    default:
      return undefined;
  }
}

/**
 * One value in a form both dialects produce for the same stored value, so that a row read from
 * SQLite and the same row read from PostgreSQL give the same string:
 *
 * - null (SQL NULL, or undefined) stays null;
 * - an integer column: `i:` + its decimal digits. SQLite hands integers to us as BigInt (read with
 *   safeIntegers, so nothing above 2^53 is rounded), `pg` hands `integer` as a number and `bigint`
 *   as a string: all three print the same digits;
 * - a float column: `f:` + JavaScript's shortest round-trip form of the 8-byte double
 *   (`String(number)`). SQLite stores REAL as an IEEE double, PostgreSQL's `double precision` is
 *   the same double and since PostgreSQL 12 prints it with the shortest digits that read back to
 *   the same bits, which `pg` parses with parseFloat: equal doubles give equal strings, and a
 *   changed last bit gives a different one. An integer-valued REAL (3.0) prints as `f:3` on both.
 * - a text column: `t:` + the string as is (UTF-8 both sides).
 *
 * The prefix keeps `1`, `1.0` and `"1"` apart when a value is not of its column's kind (SQLite
 * accepts text in an integer column): such a row compares unequal instead of equal by accident.
 */
export function canonicalValue(value: unknown, kind: ValueKind): string | null {
  if (value === null || value === undefined) return null;
  if (kind === 'int') {
    if (typeof value === 'bigint') return `i:${value.toString()}`;
    if (typeof value === 'number' && Number.isInteger(value)) return `i:${BigInt(value).toString()}`;
    if (typeof value === 'string' && /^-?\d+$/.test(value)) return `i:${BigInt(value).toString()}`;
  }
  if (kind === 'float') {
    if (typeof value === 'number') return `f:${String(value)}`;
    if (typeof value === 'bigint') return `f:${String(Number(value))}`;
    if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return `f:${String(Number(value))}`;
  }
  if (kind === 'text' && typeof value === 'string') return `t:${value}`;
  // Not of its column's kind: kept distinguishable rather than coerced.
  if (Buffer.isBuffer(value)) return `b:${value.toString('hex')}`;
  return `?:${typeof value}:${String(value)}`;
}

/** A row as one line: the JSON array of its canonical values in the given column order. */
export function canonicalRow(row: Record<string, unknown>, columns: ReadonlyArray<{ name: string; kind: ValueKind }>): string {
  return JSON.stringify(columns.map((c) => canonicalValue(row[c.name], c.kind)));
}

/** sha256 over each row's canonical line and a newline, rows in key order. */
export class TableChecksum {
  private readonly hash: Hash = createHash('sha256');
  rows = 0;
  add(line: string): void {
    this.hash.update(line);
    this.hash.update('\n');
    this.rows++;
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}
