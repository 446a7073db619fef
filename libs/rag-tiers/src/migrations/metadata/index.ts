import { SqliteFile, type Migration } from '@web4/storage';
import type { TierFileOptions } from '../../tier-file-options.js';
import { documents001 } from './001_documents.js';
import { pdcaAccess002 } from './002_pdca_access.js';
import { embeddingCache003 } from './003_embedding_cache.js';
import { indexSignature004 } from './004_index_signature.js';
import { trainingDate005 } from './005_training_date.js';
import { lexicalChunks006 } from './006_lexical_chunks.js';

/**
 * The metadata file (`rag.metadataDb`): the metadata tier, the hot-PDCA access records, the
 * embedding cache and the lexical tier's index. One list for the file: every opener of it
 * (MetadataTier, LexicalTier) passes this one. Listed, not discovered, so the bundle carries them.
 */
export const metadataMigrations: Migration[] = [documents001, pdcaAccess002, embeddingCache003, indexSignature004, trainingDate005, lexicalChunks006];

/** Open the metadata file through the shared opener with its one migration list. */
export function openMetadataFile<DB>(path: string, options: TierFileOptions = {}): SqliteFile<DB> {
  return SqliteFile.open<DB>(path, metadataMigrations, {
    ...options,
    label: 'metadata',
    setting: 'rag.metadataDb',
    recreate: '`web4 index corpus` rebuilds it',
  });
}
