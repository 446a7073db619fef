import { ALERT_LEVELS, type AlertLevel, alerterFromConfig } from '@web4/alerting';
import { EXIT_CODES, InputError, MARK } from '@web4/core';
import type { CommandModule } from 'yargs';
import { createContext, runCommand, type GlobalArgs } from '../context.js';

interface SendArgs extends GlobalArgs {
  message: string;
  level: string;
}

/**
 * `web4 alert send MESSAGE`: the plan's send_alert.sh. Exit 0: every channel took it (and any
 * earlier undelivered alert); 4: some channel did not, what it missed is kept in
 * logs/alerts_undelivered.jsonl for the next send; 2: bad input or alerts configuration.
 */
async function send(args: SendArgs): Promise<number> {
  const message = String(args.message ?? '').trim();
  if (!message) throw new InputError('The alert message is empty.', { hint: 'web4 alert send "what went wrong"' });
  if (!ALERT_LEVELS.includes(args.level as AlertLevel)) throw new InputError(`--level must be warn or error, got "${args.level}".`);
  const ctx = createContext(args);
  const alerter = alerterFromConfig(ctx.config, ctx.paths, { clock: ctx.clock, logger: ctx.logger });
  const report = await alerter.send({ level: args.level as AlertLevel, title: `⚠️ Evening Loop Alert: ${message}`, message, details: { source: 'web4 alert send' } });
  ctx.emit(report);
  for (const c of report.channels) ctx.say(`${c.delivered ? MARK.pass : MARK.warn} ${c.channel}: ${c.delivered ? 'delivered' : `not delivered: ${c.error}`} (${c.attempts} attempt${c.attempts === 1 ? '' : 's'}, ${c.ms} ms)`);
  if (report.resent.alerts) ctx.say(`Earlier undelivered alerts sent again: ${report.resent.delivered}/${report.resent.alerts} delivered.`);
  if (report.pending) ctx.say(`${report.pending} alert(s) wait in ${report.undeliveredFile}; the next alert sends them again.`);
  return report.pending === 0 && report.delivered ? EXIT_CODES.ok : EXIT_CODES.service;
}

export const alertCommand: CommandModule<object, GlobalArgs> = {
  command: 'alert <command>',
  describe: 'Alerts to the configured channels (log, Slack, email)',
  builder: (y) =>
    y
      .command<SendArgs>({
        command: 'send <message>',
        describe: 'Send an alert to every configured channel (exit 0 delivered, 4 a channel failed: kept for the next alert, 2 bad config)',
        builder: (yy) =>
          yy
            .positional('message', { type: 'string', demandOption: true, describe: 'What happened (one line)' })
            .option('level', { type: 'string', choices: ['warn', 'error'], default: 'error', describe: 'Severity' }) as never,
        handler: (args) => runCommand(args, () => send(args)),
      })
      .demandCommand(1, 'Name a subcommand: send.') as never,
  handler: () => {},
};
