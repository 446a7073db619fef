import type { CommandModule } from 'yargs';

/**
 * Every `web4` command group, one module each. Add a group by adding its module here.
 */
export const commands: CommandModule<object, any>[] = [];
