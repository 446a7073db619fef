export * from './job-commands.js';
export * from './job-runner.js';
export * from './schedule-plan.js';
export * from './crontab-block.js';
export * from './crontab.js';
export * from './in-process-schedule.js';
export * from './log-rotation.js';
export * from './open-files.js';
