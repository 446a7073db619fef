import type { Migration } from '../migration.js';
import { feedback001 } from './001_feedback.js';
import { feedbackQueryId002 } from './002_feedback_query_id.js';

export const feedbackMigrations: Migration[] = [feedback001, feedbackQueryId002];
