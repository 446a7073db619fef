export * from './assertions/types.js';
export { ASSERTIONS, ASSERTION_TYPES } from './assertions/registry.js';
export * from './case-file.js';
export * from './run-cases.js';
export * from './ollama-answerer.js';
export * from './serving.js';
export * from './morning-validation.js';
export * from './morning-history.js';
export * from './candidate-gates.js';
