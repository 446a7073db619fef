export * from './dashboard-data.js';
export * from './dashboard-routes.js';
