import type { Migration } from '../migration.js';
import { queryMetrics001 } from './001_query_metrics.js';
import { dailySummary002 } from './002_daily_summary.js';
import { runs003 } from './003_runs.js';
import { validations004 } from './004_validations.js';
import { modelRegistry005 } from './005_model_registry.js';
import { ollamaNames006 } from './006_ollama_names.js';
import { validationVersions007 } from './007_validation_versions.js';
import { gatewayFields008 } from './008_gateway_fields.js';
import { publishedRecords009 } from './009_published_records.js';
import { wideIntegers010 } from './010_wide_integers.js';

/** Listed, not discovered from the folder, so the esbuild bundle of the CLI carries them. */
export const metricsMigrations: Migration[] = [
  queryMetrics001,
  dailySummary002,
  runs003,
  validations004,
  modelRegistry005,
  ollamaNames006,
  validationVersions007,
  gatewayFields008,
  publishedRecords009,
  wideIntegers010,
];
