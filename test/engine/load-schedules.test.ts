/** schedules/*.json at start-up: created when missing, an existing schedule keeps its state, a broken file names itself. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBaton, type BatonServer } from '../../engine/server';
import { loadConfig } from '../../engine/config';
import { FakeClock } from '../../engine/ports/clock';
import { ManualTimers } from '../helpers/manual-timers';
import { silentLogger } from '../helpers/baton';
import request from 'supertest';
import { loadSchedules, DefinitionFileError } from '../../engine/runtime/load-definitions';

let dir: string;
let baton: BatonServer;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'baton-sched-files-'));
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  baton = createBaton({ config: loadConfig({ BATON_DB: ':memory:' }), clock, timers: new ManualTimers(clock), log: silentLogger() });
});
afterEach(async () => {
  await baton.close();
  rmSync(dir, { recursive: true, force: true });
});

const nightly = { name: 'nightly', cronExpression: '0 0 2 * * ?', zoneId: 'Europe/Berlin', paused: true, pausedReason: 'configure first', startWorkflowRequest: { name: 'wf', version: 1 } };

test('created when missing; an existing schedule keeps what the API changed', () => {
  writeFileSync(join(dir, 'nightly.json'), JSON.stringify(nightly));
  writeFileSync(join(dir, 'more.json'), JSON.stringify([{ ...nightly, name: 'crawl', cronExpression: '0 15 2 * * ?' }]));
  const s = baton.scheduler!;
  expect(loadSchedules(s, dir)).toEqual({ created: 2, kept: 0 });
  expect(s.get('nightly')).toMatchObject({ paused: true, zoneId: 'Europe/Berlin', cronExpression: '0 0 2 * * ?' });
  s.resume('nightly');
  expect(loadSchedules(s, dir)).toEqual({ created: 0, kept: 2 });
  expect(s.get('nightly').paused).toBe(false);
});

test('a broken file is an error naming the file and the field, even when the schedule exists', () => {
  writeFileSync(join(dir, 'nightly.json'), JSON.stringify(nightly));
  loadSchedules(baton.scheduler!, dir);
  writeFileSync(join(dir, 'nightly.json'), JSON.stringify({ ...nightly, cronExpression: '0 2 * * *' }));
  expect(() => loadSchedules(baton.scheduler!, dir)).toThrow(DefinitionFileError);
  expect(() => loadSchedules(baton.scheduler!, dir)).toThrow(/nightly\.json: saveSchedule\.cronExpression: Cron expression must consist of 6 fields/);
  writeFileSync(join(dir, 'nightly.json'), '{not json');
  expect(() => loadSchedules(baton.scheduler!, dir)).toThrow(/nightly\.json: not valid JSON/);
});

test('a missing folder registers nothing', () => {
  expect(loadSchedules(baton.scheduler!, join(dir, 'none'))).toEqual({ created: 0, kept: 0 });
});

test("the repository's nightly schedules: registered paused; resumed, 02:00 starts nightly_lora_training exactly once", async () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 1, 0, 0));
  const timers = new ManualTimers(clock);
  const b = createBaton({ config: loadConfig({ BATON_DB: ':memory:' }), clock, timers, log: silentLogger() });
  try {
    await b.ready();
    const { loadDefinitions } = await import('../../engine/runtime/load-definitions');
    loadDefinitions(b.metadata, join(__dirname, '../../taskdefs'), join(__dirname, '../../workflows'));
    expect(loadSchedules(b.scheduler!, join(__dirname, '../../schedules'))).toEqual({ created: 3, kept: 0 });
    const s = b.scheduler!;
    expect(s.list().map((x) => [x.name, x.cronExpression, x.paused]).sort()).toEqual([
      ['blind_eval', '0 0 3 * * ?', true],
      ['data_crawl', '0 15 2 * * ?', true],
      ['nightly_lora_training', '0 0 2 * * ?', true],
    ]);
    const running = () => b.engine.store.runningByName().flatMap((r) => Array(r.count).fill(r.name) as string[]);
    timers.advance(2 * 3_600_000);
    expect(running()).toEqual([]); // paused: nothing fires
    s.resume('nightly_lora_training');
    // resumed at 03:00: the next 02:00 is tomorrow's (no catch-up of tonight's)
    timers.advance(22 * 3_600_000 + 59 * 60_000);
    expect(running()).toEqual([]);
    timers.advance(60_000);
    expect(running()).toEqual(['nightly_lora_training']);
    const id = (await request(b.app).get('/api/workflow/running/nightly_lora_training')).body[0] as string;
    const wf = (await request(b.app).get(`/api/workflow/${id}`)).body as { input: Record<string, unknown> };
    expect(wf.input).toMatchObject({ adapter_name: 'assistant', _startedByScheduler: 'nightly_lora_training', _scheduledTime: Date.UTC(2026, 0, 2, 2, 0, 0) });
    // a restart of the scheduler's timer does not fire the same instance again
    timers.advance(60_000);
    expect(running()).toHaveLength(1);
  } finally {
    await b.close();
  }
});
