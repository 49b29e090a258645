/** /api/scheduler end to end in-process: a FakeClock and manual timers drive the firings. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createBaton, type BatonServer } from '../../engine/server';
import { loadConfig } from '../../engine/config';
import { FakeClock } from '../../engine/ports/clock';
import { ManualTimers } from '../helpers/manual-timers';
import { silentLogger } from '../helpers/baton';
import { expectError, expectViolations, simpleDef } from './http-helpers';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
const H = 3_600_000;

interface Rig {
  baton: BatonServer;
  http: ReturnType<typeof request>;
  clock: FakeClock;
  timers: ManualTimers;
}

async function rig(o: { dbPath?: string; clock?: FakeClock; env?: Record<string, string> } = {}): Promise<Rig> {
  const clock = o.clock ?? new FakeClock(T0);
  const timers = new ManualTimers(clock);
  const config = loadConfig({ BATON_DB: o.dbPath ?? ':memory:', BATON_LOG_LEVEL: 'error', ...(o.env ?? {}) });
  const baton = createBaton({ config, clock, timers, log: silentLogger() });
  await baton.ready();
  const http = request(baton.app);
  return { baton, http, clock, timers };
}

async function registerWf(r: Rig, name = 'nightly_wf') {
  await r.http.post('/api/metadata/taskdefs').send([{ name: `${name}_task`, retryCount: 0 }]).expect(200);
  await r.http.post('/api/metadata/workflow?overwrite=true').send(simpleDef(name, 1, [`${name}_task`])).expect(200);
}

const hourly = (over: Record<string, unknown> = {}) => ({
  name: 'hourly', cronExpression: '0 0 * * * ?', startWorkflowRequest: { name: 'nightly_wf', input: { x: 1 }, correlationId: 'sched' }, ...over,
});

const running = async (r: Rig, name = 'nightly_wf') => (await r.http.get(`/api/workflow/running/${name}`).expect(200)).body as string[];

describe('with a registered workflow', () => {
  let r: Rig;
  beforeEach(async () => {
    r = await rig();
    await registerWf(r);
  });
  afterEach(() => r.baton.close());

  test('a schedule fires at its cron time: the workflow gets the _scheduled… inputs and an EXECUTED record', async () => {
    const saved = (await r.http.post('/api/scheduler/schedules').send(hourly()).expect(200)).body;
    expect(saved).toMatchObject({ name: 'hourly', zoneId: 'UTC', paused: false, runCatchupScheduleInstances: false, nextRunTime: T0 + H, createTime: T0 });
    expect((await r.http.get('/api/scheduler/schedules/hourly').expect(200)).body.nextRunTime).toBe(T0 + H);

    r.timers.advance(H - 1);
    expect(await running(r)).toEqual([]);
    r.timers.advance(1);
    const ids = await running(r);
    expect(ids).toHaveLength(1);
    const wf = (await r.http.get(`/api/workflow/${ids[0]}`).expect(200)).body;
    expect(wf.correlationId).toBe('sched');
    expect(wf.input).toMatchObject({ x: 1, _startedByScheduler: 'hourly', _scheduledTime: T0 + H, _executedTime: T0 + H, _schedulerCron: '0 0 * * * ? UTC' });

    const ex = (await r.http.get('/api/scheduler/search/executions?query=scheduleName%20IN%20(hourly)').expect(200)).body;
    expect(ex.totalHits).toBe(1);
    expect(ex.results[0]).toMatchObject({ scheduleName: 'hourly', state: 'EXECUTED', workflowId: ids[0], workflowName: 'nightly_wf', scheduledTime: T0 + H, zoneId: 'UTC' });
    expect(ex.results[0].executionId).toBe(wf.input._executionId);
    expect((await r.http.get('/api/scheduler/schedules/hourly').expect(200)).body.nextRunTime).toBe(T0 + 2 * H);

    r.timers.advance(2 * H);
    expect(await running(r)).toHaveLength(3);
  });

  test('a paused schedule does not fire; resume runs from now on, without catching up', async () => {
    await r.http.post('/api/scheduler/schedules').send(hourly()).expect(200);
    await r.http.put('/api/scheduler/schedules/hourly/pause?reason=maintenance').expect(200);
    const paused = (await r.http.get('/api/scheduler/schedules/hourly').expect(200)).body;
    expect(paused).toMatchObject({ paused: true, pausedReason: 'maintenance' });
    expect(paused.nextRunTime).toBeUndefined();
    r.timers.advance(3 * H + 10);
    expect(await running(r)).toEqual([]);
    await r.http.put('/api/scheduler/schedules/hourly/resume').expect(200);
    expect((await r.http.get('/api/scheduler/schedules/hourly').expect(200)).body).toMatchObject({ paused: false, nextRunTime: T0 + 4 * H });
    r.timers.advance(H);
    expect(await running(r)).toHaveLength(1);
    // resuming a schedule that is not paused is a 404, as Conductor
    expectError(await r.http.put('/api/scheduler/schedules/hourly/resume'), 404, "Schedule 'hourly' not found");
  });

  test('saving with paused=true arms nothing; saving again replaces it and keeps createTime', async () => {
    await r.http.post('/api/scheduler/schedules').send(hourly({ paused: true })).expect(200);
    r.timers.advance(2 * H);
    expect(await running(r)).toEqual([]);
    const again = (await r.http.post('/api/scheduler/schedules').send(hourly({ description: 'every hour' })).expect(200)).body;
    expect(again).toMatchObject({ createTime: T0, updatedTime: T0 + 2 * H, description: 'every hour', nextRunTime: T0 + 3 * H });
  });

  test('a start that fails is a FAILED record with the reason; the schedule goes on', async () => {
    await r.http.post('/api/scheduler/schedules').send(hourly({ name: 'broken', startWorkflowRequest: { name: 'no_such_wf' } })).expect(200);
    r.timers.advance(H);
    const ex = (await r.http.get('/api/scheduler/search/executions?query=state%20IN%20(FAILED)').expect(200)).body;
    expect(ex.totalHits).toBe(1);
    expect(ex.results[0]).toMatchObject({ scheduleName: 'broken', state: 'FAILED', reason: 'No such workflow defined. name=no_such_wf, version=null' });
    expect(ex.results[0].workflowId).toBeUndefined();
    expect((await r.http.get('/api/scheduler/schedules/broken').expect(200)).body.nextRunTime).toBe(T0 + 2 * H);
  });

  test('list, filter, search, delete', async () => {
    await registerWf(r, 'other_wf');
    await r.http.post('/api/scheduler/schedules').send(hourly()).expect(200);
    await r.http.post('/api/scheduler/schedules').send(hourly({ name: 'daily', cronExpression: '@daily', startWorkflowRequest: { name: 'other_wf' }, paused: true })).expect(200);
    expect((await r.http.get('/api/scheduler/schedules').expect(200)).body.map((s: { name: string }) => s.name)).toEqual(['daily', 'hourly']);
    expect((await r.http.get('/api/scheduler/schedules?workflowName=other_wf').expect(200)).body.map((s: { name: string }) => s.name)).toEqual(['daily']);
    const found = (await r.http.get('/api/scheduler/schedules/search?paused=false').expect(200)).body;
    expect(found).toMatchObject({ totalHits: 1, results: [{ name: 'hourly' }] });
    expect((await r.http.get('/api/scheduler/schedules/search?scheduleName=dai').expect(200)).body.totalHits).toBe(1);
    await r.http.delete('/api/scheduler/schedules/hourly').expect(200);
    await r.http.delete('/api/scheduler/schedules/hourly').expect(200); // unknown: still 200
    expectError(await r.http.get('/api/scheduler/schedules/hourly'), 404, "Schedule 'hourly' not found");
    r.timers.advance(2 * H);
    expect(await running(r)).toEqual([]);
  });

  test('bulk pause and resume report each name', async () => {
    await r.http.post('/api/scheduler/schedules').send(hourly()).expect(200);
    const res = await r.http.put('/api/scheduler/bulk/pause').send(['hourly', 'ghost']).expect(200);
    expect(res.body).toEqual({ bulkErrorResults: { ghost: "Schedule 'ghost' not found" }, bulkSuccessfulResults: ['hourly'] });
    expect((await r.http.put('/api/scheduler/bulk/resume').send(['hourly']).expect(200)).body.bulkSuccessfulResults).toEqual(['hourly']);
    expectViolations(await r.http.put('/api/scheduler/bulk/pause').send([]), ['pauseSchedules.scheduleNames']);
  });

  test('admin pause stops all firing on this server until admin resume', async () => {
    await r.http.post('/api/scheduler/schedules').send(hourly()).expect(200);
    expect((await r.http.get('/api/scheduler/admin/pause').expect(200)).body).toEqual({ status: 'done' });
    r.timers.advance(H);
    expect(await running(r)).toEqual([]);
    await r.http.get('/api/scheduler/admin/resume').expect(200);
    r.timers.advance(0);
    expect(await running(r)).toHaveLength(1); // the due run fires once on resume
  });

  test('nextFewSchedules previews at most 5 times, bounded by the end time', async () => {
    expect((await r.http.get('/api/scheduler/nextFewSchedules?cronExpression=0%200%20*%20*%20*%20%3F&limit=10').expect(200)).body).toEqual([1, 2, 3, 4, 5].map((i) => T0 + i * H));
    expect((await r.http.get(`/api/scheduler/nextFewSchedules?cronExpression=0%200%20*%20*%20*%20%3F&scheduleEndTime=${T0 + 2 * H}`).expect(200)).body).toEqual([T0 + H, T0 + 2 * H]);
    expectViolations(await r.http.get('/api/scheduler/nextFewSchedules?cronExpression=0%202%20*%20*%20*'), ['getNextFewSchedules.cronExpression']);
    expectError(await r.http.get('/api/scheduler/nextFewSchedules'), 400);
  });

  test('bad schedules → 400 with validationErrors, nothing stored', async () => {
    const res = await r.http.post('/api/scheduler/schedules').send({ name: 'bad', cronExpression: '0 2 * * *', startWorkflowRequest: { name: 'nightly_wf', priority: 500 } });
    expectViolations(res, ['saveSchedule.cronExpression']);
    const res2 = await r.http.post('/api/scheduler/schedules').send({ name: 'bad', cronExpression: '0 0 2 * * ?', startWorkflowRequest: { name: 'nightly_wf', priority: 500 } });
    expectViolations(res2, ['saveSchedule.startWorkflowRequest.priority']);
    expectViolations(await r.http.post('/api/scheduler/schedules').send('[]').set('Content-Type', 'application/json'), ['saveSchedule']);
    expect((await r.http.get('/api/scheduler/schedules').expect(200)).body).toEqual([]);
  });
});

describe('across a restart (file database)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'baton-sched-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test.each([
    [false, 1],
    [true, 5],
  ])('runCatchupScheduleInstances=%s: 5 hours down → %i runs on restart, then on schedule', async (catchup, expected) => {
    const dbPath = join(dir, 'b.db');
    const clock = new FakeClock(T0);
    const a = await rig({ dbPath, clock });
    await registerWf(a);
    await a.http.post('/api/scheduler/schedules').send(hourly({ runCatchupScheduleInstances: catchup })).expect(200);
    await a.baton.close();

    clock.advance(5 * H + 60_000); // down from 00:00 to 05:01
    const b = await rig({ dbPath, clock });
    try {
      b.timers.advance(0);
      expect(await running(b)).toHaveLength(expected);
      const times = (await b.http.get('/api/scheduler/search/executions?sort=scheduledTime:ASC').expect(200)).body.results.map((e: { scheduledTime: number }) => e.scheduledTime);
      expect(times).toEqual(catchup ? [1, 2, 3, 4, 5].map((i) => T0 + i * H) : [T0 + H]);
      expect((await b.http.get('/api/scheduler/schedules/hourly').expect(200)).body.nextRunTime).toBe(T0 + 6 * H);
      b.timers.advance(H);
      expect(await running(b)).toHaveLength(expected + 1);
    } finally {
      await b.baton.close();
    }
  });
});

test('BATON_SCHEDULER_ENABLED=false: /api/scheduler answers 404 like a Conductor without the module', async () => {
  const r = await rig({ env: { BATON_SCHEDULER_ENABLED: 'false' } });
  try {
    expectError(await r.http.get('/api/scheduler/schedules'), 404);
  } finally {
    await r.baton.close();
  }
});
