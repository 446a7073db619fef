/**
 * A count with its noun in the right number, for what the storage commands print:
 * `counted(1, 'row')` is "1 row", `counted(2, 'row')` "2 rows", `counted(0, 'row')` "0 rows";
 * `plural` for nouns that do not just take an "s" (`counted(1, 'batch', 'batches')`).
 */
export function counted(count: number | bigint, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 || count === 1n ? singular : plural}`;
}
