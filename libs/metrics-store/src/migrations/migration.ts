// The numbered-migration type shared by every database, and the column helpers that keep one
// step valid on SQLite and PostgreSQL (SQLite's SQL unchanged): @web4/storage.
export type { Migration } from '@web4/storage';
export { autoIncrementKey, float8 } from '@web4/storage';
