import type { Migration } from '../migration.js';

/**
 * Which model version answered a morning check: the registry's version name (`base` before the
 * first promotion) and the Ollama digest of the model that was asked, so `validate --history`
 * can say which version served each day even after the tags moved on.
 */
export const validationVersions007: Migration = {
  version: 7,
  name: 'validation_versions',
  up: (db) => [
    db.schema.alterTable('validations').addColumn('model_version', 'text'),
    db.schema.alterTable('validations').addColumn('model_digest', 'text'),
  ],
};
