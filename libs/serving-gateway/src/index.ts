export * from './types.js';
export * from './day-player.js';
