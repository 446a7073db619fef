export * from './ollama-blob.js';
export * from './model-parameters.js';
export * from './register-model.js';
export * from './ollama-models.js';
export * from './version-names.js';
export * from './version-files.js';
export { AdapterRegistry, fileError, readManifest, type AdapterRegistryOptions, type BackupInfo, type PruneReport, type RegistryListing, type TagSync } from './adapter-registry.js';
