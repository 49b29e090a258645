/**
 * Registration checks that need the sandbox (JavaScript syntax of SWITCH/DECISION, as Conductor
 * does) and Baton's opt-in `strict=true` lint: what Conductor accepts is still accepted without it.
 */
import request from 'supertest';
import { createTestBaton } from '../helpers/baton';
import type { BatonServer } from '../../engine/server';
import { expectViolations } from './http-helpers';

let baton: BatonServer;
let http: ReturnType<typeof request>;
beforeAll(async () => {
  baton = createTestBaton();
  await baton.ready();
  http = request(baton.app);
});
afterAll(() => baton.close());

const wf = (name: string, tasks: unknown[]) => ({ name, version: 1, tasks });
const sw = (expression: string) => ({ name: 's', taskReferenceName: 's', type: 'SWITCH', evaluatorType: 'javascript', expression, decisionCases: { a: [{ name: 'x', taskReferenceName: 'x' }] } });

test('a SWITCH javascript expression that does not parse is rejected at registration', async () => {
  const res = await http.post('/api/metadata/workflow').send(wf('bad_js', [sw('$.a ==== (')]));
  expectViolations(res, ['registerWorkflowDef.workflowDef.tasks[0]']);
  expect(JSON.stringify(res.body.validationErrors)).toMatch(/Expression is not well formatted/);
  await http.post('/api/metadata/workflow').send(wf('good_js', [sw("$.a == 1 ? 'a' : 'b'")])).expect(200);
});

const lintable = [
  { name: 'fork', taskReferenceName: 'fork', type: 'FORK_JOIN', forkTasks: [[{ name: 'x', taskReferenceName: 'x' }]] },
  { name: 'sub', taskReferenceName: 'sub', type: 'SUB_WORKFLOW', subWorkflowParam: { name: 'no_such_workflow', version: 1 } },
  { name: 'jq', taskReferenceName: 'jq', type: 'JSON_JQ_TRANSFORM', inputParameters: { queryExpression: '.a | | .b' } },
  { name: 'inl', taskReferenceName: 'inl', type: 'INLINE', inputParameters: { evaluatorType: 'javascript', expression: 'function (' } },
  { name: 'loop', taskReferenceName: 'loop', type: 'DO_WHILE', loopCondition: 'if (', loopOver: [{ name: 'y', taskReferenceName: 'y' }] },
];

test('Conductor accepts a fork without join, an unknown sub-workflow, bad jq and bad INLINE at registration', async () => {
  await http.post('/api/metadata/workflow').send(wf('lax', lintable)).expect(200);
});

test('strict=true rejects them, naming each task', async () => {
  const res = await http.post('/api/metadata/workflow?strict=true').send(wf('strict_one', lintable));
  expectViolations(res, [
    'workflowDef.tasks[0]',
    'workflowDef.tasks[1].subWorkflowParam.name',
    'workflowDef.tasks[2].inputParameters.queryExpression',
    'workflowDef.tasks[3].inputParameters.expression',
    'workflowDef.tasks[4].loopCondition',
  ]);
  const text = JSON.stringify(res.body.validationErrors);
  expect(text).toMatch(/fork is not directly followed by a JOIN/);
  expect(text).toMatch(/no_such_workflow, which is not defined/);
  expect(text).toMatch(/jq query does not compile/);
  await http.get('/api/metadata/workflow/strict_one').expect(404);
  const v = await http.post('/api/metadata/workflow/validate?strict=true').send(wf('strict_two', lintable));
  expect(v.status).toBe(400);
});
