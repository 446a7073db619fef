export * from './minilm-embedder.js';
export * from './create-embedder.js';
export { REFERENCE_TEXTS } from './reference-texts.js';
