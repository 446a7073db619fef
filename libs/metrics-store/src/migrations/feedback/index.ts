import type { Migration } from '../migration.js';
import { feedback001 } from './001_feedback.js';

export const feedbackMigrations: Migration[] = [feedback001];
