export * from './types.js';
export * from './day-player.js';
export * from './metrics.js';
