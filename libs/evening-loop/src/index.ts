export * from './alerts.js';
export * from './evening-log.js';
export { EveningLoop, EVENING_LOCK, EXIT_LOCKED, faultPoint, type EveningLoopOptions, type Night } from './evening-loop.js';
export * from './night-plan.js';
export * from './night-data.js';
export { closingBlock, type LossFigures, type NightOutcome } from './night-summary.js';
export { ServingCheckError } from './night-steps.js';
export { readNight, nightHistory, type NightRecord } from './night-records.js';
export { replayJournal, journalDays, samplesOfDay, type ReplayNight, type ReplayOptions, type ReplayReport } from './replay.js';
