/** winston for the webhook server: JSON lines (readable text in a TTY), secrets redacted by key. */
import winston from 'winston';

const SECRET_KEYS = /authorization|secret|token|password|signature/i;

const redact = winston.format((info) => {
  for (const k of Object.keys(info)) if (SECRET_KEYS.test(k)) info[k] = '[REDACTED]';
  return info;
});

export function createWebhookLogger(level = 'info', json = !process.stdout.isTTY): winston.Logger {
  return winston.createLogger({
    level,
    defaultMeta: { service: 'baton-webhook' },
    format: winston.format.combine(redact(), winston.format.timestamp(), json ? winston.format.json() : winston.format.combine(winston.format.colorize(), winston.format.simple())),
    transports: [new winston.transports.Console()],
  });
}
