import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands/index.js';

const EXIT_CODE_HELP = `Exit codes:
  0  success (and every target met, for checks)
  1  a check ran and failed (target missed, validation or canary failed, doctor found a problem)
  2  bad input or configuration: the message says what to fix
  3  storage problem (corrupt or unwritable database or file)
  4  a service (Chroma, Ollama, SMTP, webhook) is missing or failed
  5  a check had nothing to judge: no target missed, but some could not be checked (no data yet)
  75 another nightly run holds the lock (evening run/resume, model promote/rollback): nothing done
  130 interrupted (137: killed; an open night is continued by \`web4 evening resume\`)`;

const cli = yargs(hideBin(process.argv))
  .scriptName('web4')
  .usage('$0 <command> [options]')
  .option('root', { type: 'string', describe: 'State root (logs/, outputs/, …). Default: WEB4_STATE_ROOT or the working directory', global: true })
  .option('config', { type: 'string', describe: 'Config file. Default: <root>/web4.config.json', global: true })
  .option('json', { type: 'boolean', describe: 'Machine-readable output on stdout', global: true })
  .option('verbose', { alias: 'v', type: 'boolean', describe: 'Every log line (debug and up) on stderr; without it only warnings and errors. Readable on a terminal, JSON lines otherwise and with --json', global: true })
  .command(commands)
  .demandCommand(1, 'Name a command; `web4 --help` lists them.')
  .strict()
  .recommendCommands()
  .epilogue(EXIT_CODE_HELP)
  .help()
  .wrap(Math.min(110, process.stdout.columns || 100))
  .fail((message, error) => {
    if (error) throw error;
    process.stderr.write(`error: ${message}\nRun \`web4 --help\` for usage.\n`);
    process.exit(2);
  });

await cli.parseAsync();
