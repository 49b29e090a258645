/** The worker processes' winston logger: JSON lines, or readable text in a TTY. */
import winston from 'winston';

export function createWorkerLogger(level = 'info'): winston.Logger {
  const json = !process.stdout.isTTY;
  return winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), json ? winston.format.json() : winston.format.combine(winston.format.colorize(), winston.format.simple())),
    transports: [new winston.transports.Console()],
  });
}
