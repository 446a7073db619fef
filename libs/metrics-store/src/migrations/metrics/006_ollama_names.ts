import type { Migration } from '../migration.js';

/**
 * The Ollama names this state root wrote (its tags and its versions' own names) with the digest
 * of what it put there: before moving a name, the registry checks that Ollama still holds what
 * it wrote, so two state roots on one Ollama never move each other's models.
 */
export const ollamaNames006: Migration = {
  version: 6,
  name: 'ollama_names',
  up: (db) => [
    db.schema
      .createTable('ollama_names')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull()),
  ],
};
