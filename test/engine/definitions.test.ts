/** Every definition the repository ships in taskdefs/ and workflows/ is valid and lint-clean. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateTaskDef, validateWorkflowDef, lintWorkflowDef } from '../../engine/core/validation';
import type { TaskDef, WorkflowDef } from '../../engine/core/model';

const root = join(__dirname, '../..');
const read = (dir: string) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ file: `${dir}/${f}`, value: JSON.parse(readFileSync(join(root, dir, f), 'utf8')) as unknown }));

const taskDefs = read('taskdefs').flatMap(({ file, value }) => (Array.isArray(value) ? value : [value]).map((d) => ({ file, def: d as TaskDef })));
const workflows = read('workflows').flatMap(({ file, value }) => (Array.isArray(value) ? value : [value]).map((d) => ({ file, def: d as WorkflowDef })));
const known = new Set(taskDefs.map((t) => t.def.name));

describe('shipped definitions', () => {
  test('there is at least one task definition and one workflow', () => {
    expect(taskDefs.length).toBeGreaterThan(0);
    expect(workflows.length).toBeGreaterThan(0);
  });
  test.each(taskDefs.map((t) => [t.file, t.def.name, t.def] as const))('%s: task %s validates', (_f, _n, def) => {
    expect(validateTaskDef(def)).toEqual([]);
  });
  test.each(workflows.map((w) => [w.file, w.def.name, w.def] as const))('%s: workflow %s validates and passes the strict lint', (_f, _n, def) => {
    expect(validateWorkflowDef(def)).toEqual([]);
    expect(lintWorkflowDef(def, known)).toEqual([]);
  });
});
