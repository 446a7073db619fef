export * from './ollama-blob.js';
export * from './model-parameters.js';
export * from './register-model.js';
