export * from './alert.js';
export { createAlerter, type AlerterOptions } from './alerter.js';
export { alerterFromConfig, type AlerterFromConfigOptions } from './from-config.js';
export { logChannel, ALERTS_LOG } from './channels/log.js';
export { slackChannel, slackText } from './channels/slack.js';
export { emailChannel, emailSubject, emailBody, type SmtpSettings } from './channels/email.js';
export { readSecret, type Secret, type SecretSource } from './secrets.js';
export { UndeliveredQueue, UNDELIVERED_FILE, MAX_PENDING, type PendingAlert } from './undelivered.js';
