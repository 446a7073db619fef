import type { CommandModule } from 'yargs';
import { feedbackCommand } from './feedback.js';
import { monitorCommand } from './monitor.js';

/**
 * Every `web4` command group, one module each. Add a group by adding its module here.
 */
export const commands: CommandModule<object, any>[] = [monitorCommand, feedbackCommand];
