import type { CommandModule } from 'yargs';
import { servicesCommand } from './services.js';
import { doctorCommand } from './doctor.js';
import { indexCommand } from './index-cmd.js';
import { monitorCommand } from './monitor.js';
import { feedbackCommand } from './feedback.js';
import { ragCommand } from './rag.js';
import { askCommand } from './ask.js';
import { validateCommand } from './validate.js';
import { demoCommand } from './demo.js';
import { eveningCommand } from './evening.js';
import { modelCommand } from './model.js';
import { alertCommand } from './alert.js';
import { scheduleCommand } from './schedule.js';
import { gatewayCommand } from './gateway.js';
import { checklistCommand } from './checklist.js';
import { storageCommand } from './storage.js';

/**
 * Every `web4` command group, one module each. Add a group by adding its module here.
 */
// Each module has its own argument type; yargs takes the list as modules of any arguments.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<object, any>[] = [indexCommand, ragCommand, monitorCommand, feedbackCommand, servicesCommand, doctorCommand, askCommand, validateCommand, eveningCommand, modelCommand, alertCommand, scheduleCommand, gatewayCommand, demoCommand, checklistCommand, storageCommand];
