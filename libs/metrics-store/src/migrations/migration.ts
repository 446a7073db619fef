import type { Compilable, Kysely } from 'kysely';

/**
 * A numbered schema step. `up` returns kysely schema builders (dialect-agnostic); the runner
 * compiles and executes them in one write transaction, so processes that open a fresh database
 * at the same moment cannot both create the same table.
 */
export interface Migration {
  version: number;
  name: string;
  up(db: Kysely<unknown>): Compilable[];
}
