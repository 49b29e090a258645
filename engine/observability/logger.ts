/**
 * winston logger: JSON lines in production, readable text in a TTY; fields first, secrets
 * redacted. Engine events are logged here (the engine core never imports winston).
 */
import winston from 'winston';
import type { EventBus } from '../runtime/event-bus';

const SECRET_KEYS = /authorization|secret|token|password|signature|private_?key/i;

const redact = winston.format((info) => {
  for (const k of Object.keys(info)) if (SECRET_KEYS.test(k)) info[k] = '[REDACTED]';
  return info;
});

export function createLogger(opts: { level?: string; json?: boolean } = {}): winston.Logger {
  const json = opts.json ?? !process.stdout.isTTY;
  return winston.createLogger({
    level: opts.level ?? 'info',
    format: winston.format.combine(redact(), winston.format.timestamp(), json ? winston.format.json() : winston.format.combine(winston.format.colorize(), winston.format.simple())),
    transports: [new winston.transports.Console()],
  });
}

export function logEngineEvents(bus: EventBus, log: winston.Logger): void {
  bus.on('workflow:started', (e) => log.info('workflow started', { workflowId: e.workflowId, workflow: e.name, version: e.version }));
  bus.on('workflow:ended', (e) => {
    const level = e.status === 'COMPLETED' ? 'info' : 'warn';
    log.log(level, 'workflow ended', { workflowId: e.workflowId, workflow: e.name, status: e.status, durationMs: e.durationMs, reason: e.reason });
  });
  bus.on('task:ended', (e) => {
    if (e.status !== 'COMPLETED') log.warn('task ended', { workflowId: e.workflowId, taskId: e.taskId, taskType: e.taskType, status: e.status, reason: e.reason });
    else log.debug('task ended', { workflowId: e.workflowId, taskId: e.taskId, taskType: e.taskType, status: e.status });
  });
  bus.on('task:timedOut', (e) => log.warn('task timed out', { workflowId: e.workflowId, taskId: e.taskId, taskType: e.taskType, kind: e.kind }));
}
