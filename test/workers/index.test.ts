/** The worker list: every task type has a worker and a task definition, and WORKERS picks groups. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_WORKERS, selectWorkers } from '../../workers';

test('WORKERS picks a group and names unknown task types', () => {
  expect(selectWorkers('all')).toBe(ALL_WORKERS);
  expect(selectWorkers('compile, test').map((d) => d.taskType)).toEqual(['compile', 'test']);
  expect(() => selectWorkers('compile,nope')).toThrow(/unknown task types: nope/);
});

test('every worker has a task definition in taskdefs/, and every pipeline task definition a worker', () => {
  const defs = ['firmware.json', 'ml.json'].flatMap((f) => JSON.parse(readFileSync(join(__dirname, '../../taskdefs', f), 'utf8')) as { name: string; responseTimeoutSeconds: number; timeoutSeconds: number }[]);
  expect(defs.map((d) => d.name).sort()).toEqual(ALL_WORKERS.map((w) => w.taskType).sort());
  // a task's own deadline must leave the worker time to report before the server gives up
  for (const d of defs) expect(d.responseTimeoutSeconds).toBeLessThan(d.timeoutSeconds);
});
