/** /metrics exposes the engine's counters with the names dashboards use; logs carry workflow ids. */
import request from 'supertest';
import winston from 'winston';
import { Writable } from 'node:stream';
import { createBaton } from '../../engine/server';
import { loadConfig } from '../../engine/config';

/** Collects JSON log lines through winston's stream transport. */
class Memory {
  lines: Array<Record<string, unknown>> = [];
  readonly transport = new winston.transports.Stream({
    format: winston.format.json(),
    stream: new Writable({
      write: (chunk, _enc, done) => {
        this.lines.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  });
}

describe('observability', () => {
  const mem = new Memory();
  const log = winston.createLogger({ level: 'debug', transports: [mem.transport] });
  const baton = createBaton({ config: loadConfig({ BATON_DB: ':memory:' }), log });
  afterAll(() => baton.close());

  test('a completed and a failed workflow show up in /metrics and in the logs', async () => {
    const app = baton.app;
    await request(app).post('/api/metadata/taskdefs').send([{ name: 'obs_task', retryCount: 0, responseTimeoutSeconds: 10 }]).expect(200);
    await request(app).post('/api/metadata/workflow').send({ name: 'obs_wf', version: 1, tasks: [{ name: 'obs_task', taskReferenceName: 't', type: 'SIMPLE' }] }).expect(200);
    const ok = (await request(app).post('/api/workflow/obs_wf').send({}).expect(200)).text;
    const bad = (await request(app).post('/api/workflow/obs_wf').send({}).expect(200)).text;
    const polled = (await request(app).get('/api/tasks/poll/batch/obs_task?count=2&workerid=w1').expect(200)).body as Array<{ taskId: string; workflowInstanceId: string }>;
    expect(polled).toHaveLength(2);
    for (const t of polled) {
      const status = t.workflowInstanceId === ok ? 'COMPLETED' : 'FAILED';
      await request(app).post('/api/tasks').send({ taskId: t.taskId, workflowInstanceId: t.workflowInstanceId, status, reasonForIncompletion: status === 'FAILED' ? 'boom' : undefined }).expect(200);
    }
    const text = (await request(app).get('/metrics').expect(200)).text;
    expect(text).toMatch(/^baton_workflows_started_total\{workflow="obs_wf"\} 2$/m);
    expect(text).toMatch(/^baton_workflows_ended_total\{workflow="obs_wf",status="COMPLETED"\} 1$/m);
    expect(text).toMatch(/^baton_workflows_ended_total\{workflow="obs_wf",status="FAILED"\} 1$/m);
    expect(text).toMatch(/^baton_tasks_polled_total\{task_type="obs_task"\} 2$/m);
    expect(text).toMatch(/^baton_tasks_ended_total\{task_type="obs_task",status="FAILED"\} 1$/m);
    expect(text).toMatch(/^baton_task_queue_wait_seconds_count\{task_type="obs_task"\} 2$/m);
    expect(text).toMatch(/^baton_http_requests_total\{method="POST",route="\/api\/workflow\/:name",status="200"\} 2$/m);
    expect(text).not.toMatch(/^baton_workflows_running\{workflow="obs_wf"\}/m);
    // one more, left running: counted per name, and its age is exposed for the timeout alert
    await request(app).post('/api/workflow/obs_wf').send({}).expect(200);
    const later = (await request(app).get('/metrics').expect(200)).text;
    expect(later).toMatch(/^baton_workflows_running\{workflow="obs_wf"\} 1$/m);
    expect(later).toMatch(/^baton_workflow_oldest_running_seconds\{workflow="obs_wf"\} [\d.e-]+$/m);
    const ended = mem.lines.find((l) => l.message === 'workflow ended' && l.workflowId === bad);
    expect(ended).toMatchObject({ level: 'warn', status: 'FAILED', workflow: 'obs_wf' });
    expect(mem.lines.find((l) => l.message === 'task ended' && l.workflowId === bad)).toMatchObject({ taskType: 'obs_task', status: 'FAILED', reason: 'boom' });
  });

  test('secrets in log fields are redacted', () => {
    const { createLogger } = require('../../engine/observability/logger') as typeof import('../../engine/observability/logger');
    const m = new Memory();
    const l = createLogger({ json: true });
    l.clear().add(m.transport);
    l.info('call', { authorization: 'Bearer x', token: 't', workflowId: 'w' });
    expect(m.lines[0]).toMatchObject({ authorization: '[REDACTED]', token: '[REDACTED]', workflowId: 'w' });
  });
});
