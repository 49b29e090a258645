/**
 * The floor for the benchmark: a bare express server speaking just enough of the worker
 * protocol (batch poll, legacy update, update-v2) over an in-memory queue. No persistence, no
 * decisions: what a poll + update round trip costs on this machine with express and JSON alone.
 *
 * Each "workflow" is a chain of FLOOR_CHAIN tasks: updating task k queues task k+1, as the engine
 * does for a sequential workflow. Task bodies are a real engine task's JSON (FLOOR_TASK_TEMPLATE,
 * a file), so both servers send the same bytes. Logs the engine's readiness line so the bench
 * starts both the same way.
 */
import express from 'express';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';

type Task = Record<string, unknown> & { taskId: string; workflowInstanceId: string; seq: number; status: string };

const template = JSON.parse(readFileSync(process.env.FLOOR_TASK_TEMPLATE ?? '', 'utf8')) as Record<string, unknown>;
const chain = Number(process.env.FLOOR_CHAIN ?? 10);
const queue: Task[] = [];
const tasks = new Map<string, Task>();

const newTask = (workflowId: string, seq: number): Task => {
  const t: Task = { ...template, taskId: randomUUID(), workflowInstanceId: workflowId, seq, status: 'SCHEDULED', scheduledTime: Date.now(), outputData: {} };
  tasks.set(t.taskId, t);
  queue.push(t);
  return t;
};

const pop = (count: number, workerId: unknown): Task[] => {
  const out = queue.splice(0, count);
  const now = Date.now();
  for (const t of out) Object.assign(t, { status: 'IN_PROGRESS', startTime: now, workerId, pollCount: 1 });
  return out;
};

/** Apply a result; true when it completed a task (and queued the next of its chain). */
const update = (body: { taskId?: string; status?: string; outputData?: Record<string, unknown> }): Task | undefined => {
  const t = body.taskId ? tasks.get(body.taskId) : undefined;
  if (!t || t.status !== 'IN_PROGRESS') return undefined;
  Object.assign(t, { status: body.status ?? 'COMPLETED', outputData: body.outputData ?? {}, endTime: Date.now() });
  tasks.delete(t.taskId);
  if (t.seq < chain) newTask(t.workflowInstanceId, t.seq + 1);
  return t;
};

const app = express();
app.use(express.json({ limit: '5mb' }));
app.get('/health', (_req, res) => void res.json({ healthy: true }));
app.post('/load', (req, res) => {
  const n = Number(req.query.workflows ?? 1);
  for (let i = 0; i < n; i++) newTask(randomUUID(), 1);
  res.json({ queued: queue.length });
});
app.get('/api/tasks/poll/batch/:type', (req, res) => void res.json(pop(Math.max(1, Number(req.query.count ?? 1)), req.query.workerid)));
app.post('/api/tasks', (req, res) => {
  update(req.body);
  res.status(200).type('text/plain').send(String(req.body?.taskId));
});
app.post('/api/tasks/update-v2', (req, res) => {
  if (!update(req.body)) return void res.status(204).end();
  const [next] = pop(1, req.body?.workerId);
  if (!next) return void res.status(204).end();
  res.json(next);
});

const server = app.listen(Number(process.env.BATON_PORT ?? 0), '127.0.0.1', () => {
  const port = (server.address() as { port: number }).port;
  process.stdout.write(`${JSON.stringify({ level: 'info', message: 'baton engine listening', url: `http://127.0.0.1:${port}/api` })}\n`);
});
server.keepAliveTimeout = 65_000;
process.on('SIGTERM', () => server.close(() => process.exit(0)));
