/** /api/scheduler: workflow schedules (Conductor OSS SchedulerResource + SchedulerBulkResource). */
import { Router, type Request } from 'express';
import type { Scheduler } from '../../runtime/scheduler';
import { BadRequestError, ValidationError } from '../../core/errors';
import { parseExecutionQuery } from '../../core/schedule';
import { boolParam, intParam, strParam } from '../validate';
import { withMethodNotAllowed } from '../errors';

function sortParam(v: unknown): [string, 'ASC' | 'DESC'][] {
  const s = strParam(v);
  if (!s) return [];
  return s.split(',').map((x) => x.trim()).filter(Boolean).map((x) => {
    const [field, dir] = x.split(':');
    return [field.trim(), dir?.trim().toUpperCase() === 'ASC' ? 'ASC' : 'DESC'];
  });
}

function names(req: Request, operation: string): string[] {
  if (!Array.isArray(req.body) || req.body.length === 0) throw new ValidationError([{ path: `${operation}.scheduleNames`, message: 'Schedule names list cannot be empty.' }]);
  return req.body.map(String);
}

export function schedulerRoutes(scheduler: Scheduler): Router {
  const r = Router();

  r.post('/schedules', (req, res) => res.json(scheduler.save(req.body)));
  r.get('/schedules', (req, res) => {
    const wf = strParam(req.query.workflowName);
    res.json(scheduler.list(wf && wf.trim() ? wf : undefined));
  });
  r.get('/schedules/search', (req, res) => {
    const paused = req.query.paused === undefined ? undefined : boolParam(req.query.paused, false);
    res.json(
      scheduler.search({
        workflowName: strParam(req.query.workflowName),
        nameLike: strParam(req.query.scheduleName),
        paused,
        freeText: strParam(req.query.freeText) ?? '*',
        start: Math.max(0, intParam(req.query.start, 'start', 0)!),
        size: Math.max(0, intParam(req.query.size, 'size', 100)!),
      }),
    );
  });
  r.get('/schedules/:name', (req, res) => res.json(scheduler.get(req.params.name)));
  r.delete('/schedules/:name', (req, res) => {
    scheduler.delete(req.params.name);
    res.status(200).end();
  });
  r.put('/schedules/:name/pause', (req, res) => {
    scheduler.pause(req.params.name, strParam(req.query.reason));
    res.status(200).end();
  });
  r.put('/schedules/:name/resume', (req, res) => {
    scheduler.resume(req.params.name);
    res.status(200).end();
  });

  r.get('/nextFewSchedules', (req, res) => {
    const cron = strParam(req.query.cronExpression);
    if (!cron) throw new BadRequestError("Required request parameter 'cronExpression' is not present");
    const start = intParam(req.query.scheduleStartTime, 'scheduleStartTime');
    const end = intParam(req.query.scheduleEndTime, 'scheduleEndTime');
    res.json(scheduler.nextFew(cron, start, end, intParam(req.query.limit, 'limit', 5)!));
  });

  r.get('/search/executions', (req, res) => {
    let q;
    try {
      q = parseExecutionQuery(strParam(req.query.query));
    } catch (e) {
      throw new BadRequestError((e as Error).message);
    }
    res.json(
      scheduler.searchExecutions({
        ...q,
        sort: sortParam(req.query.sort),
        start: Math.max(0, intParam(req.query.start, 'start', 0)!),
        size: Math.max(0, intParam(req.query.size, 'size', 100)!),
      }),
    );
  });

  // Baton writes execution records directly, so nothing ever waits for archival.
  r.get('/admin/requeue', (_req, res) => res.json({ 'recordIds.size': 0, sampleIds: [] }));
  r.get('/admin/pause', (_req, res) => {
    scheduler.pauseAll(true);
    res.json({ status: 'done' });
  });
  r.get('/admin/resume', (_req, res) => {
    scheduler.pauseAll(false);
    res.json({ status: 'done' });
  });

  const bulk = (operation: string, op: (name: string) => void) => (req: Request) => {
    const out = { bulkErrorResults: {} as Record<string, string>, bulkSuccessfulResults: [] as string[] };
    for (const n of names(req, operation)) {
      try {
        op(n);
        out.bulkSuccessfulResults.push(n);
      } catch (e) {
        out.bulkErrorResults[n] = (e as Error).message;
      }
    }
    return out;
  };
  r.put('/bulk/pause', (req, res) => res.json(bulk('pauseSchedules', (n) => scheduler.pause(n))(req)));
  r.put('/bulk/resume', (req, res) => res.json(bulk('resumeSchedules', (n) => scheduler.resume(n))(req)));

  return withMethodNotAllowed(r);
}
