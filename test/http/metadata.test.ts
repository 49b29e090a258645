/** /api/metadata over HTTP: task and workflow definitions, status codes, bodies, atomic failures. */
import { createApi, expectError, expectViolations, simpleDef, type Api } from './http-helpers';

let api: Api;
beforeAll(() => {
  api = createApi();
});
afterAll(() => api.close());

describe('task definitions', () => {
  test('POST /taskdefs upserts an array and answers 200 with an empty body', async () => {
    const res = await api.http.post('/api/metadata/taskdefs').send([{ name: 'md_a', retryCount: 1 }, { name: 'md_b' }]);
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    await api.http.post('/api/metadata/taskdefs').send([{ name: 'md_a', retryCount: 2 }]).expect(200);
    const a = await api.http.get('/api/metadata/taskdefs/md_a').expect(200);
    expect(a.body).toMatchObject({ name: 'md_a', retryCount: 2, timeoutPolicy: 'TIME_OUT_WF', retryLogic: 'FIXED', responseTimeoutSeconds: 3600 });
    expect(a.body.createTime).toEqual(expect.any(Number));
  });

  test('GET /taskdefs lists every definition', async () => {
    const res = await api.http.get('/api/metadata/taskdefs').expect(200);
    expect(res.body.map((d: { name: string }) => d.name)).toEqual(expect.arrayContaining(['md_a', 'md_b']));
  });

  test('PUT /taskdefs updates one existing definition, keeps createTime; unknown → 404', async () => {
    const before = (await api.http.get('/api/metadata/taskdefs/md_b')).body;
    await api.http.put('/api/metadata/taskdefs').send({ name: 'md_b', description: 'changed' }).expect(200);
    const after = (await api.http.get('/api/metadata/taskdefs/md_b')).body;
    expect(after).toMatchObject({ description: 'changed', createTime: before.createTime });
    expect(after.updateTime).toEqual(expect.any(Number));
    expectError(await api.http.put('/api/metadata/taskdefs').send({ name: 'md_none' }), 404, 'No such task by name md_none');
  });

  test('unknown task def: GET and DELETE answer 404 with Conductor messages', async () => {
    expectError(await api.http.get('/api/metadata/taskdefs/md_none'), 404, 'No such taskType found by name: md_none');
    expectError(await api.http.delete('/api/metadata/taskdefs/md_none'), 404, /No such task definition/);
  });

  test('DELETE /taskdefs/{name} removes it', async () => {
    await api.http.post('/api/metadata/taskdefs').send([{ name: 'md_del' }]).expect(200);
    const res = await api.http.delete('/api/metadata/taskdefs/md_del').expect(200);
    expect(res.text).toBe('');
    await api.http.get('/api/metadata/taskdefs/md_del').expect(404);
  });

  test('bad input: not an array, empty array, wrong types, missing name', async () => {
    expectError(await api.http.post('/api/metadata/taskdefs').send({ name: 'md_obj' }), 400);
    expectError(await api.http.post('/api/metadata/taskdefs').send([]), 400);
    expectViolations(await api.http.post('/api/metadata/taskdefs').send([{ name: 'md_t', retryLogic: 'SOMETIMES' }]), []);
    expectViolations(await api.http.post('/api/metadata/taskdefs').send([{ retryCount: 1 }]), []);
    expectError(await api.http.put('/api/metadata/taskdefs').send([{ name: 'md_a' }]), 400);
    expectViolations(await api.http.put('/api/metadata/taskdefs').send({ name: 'md_a', retryCount: 'many' }), []);
  });

  test('an array with one invalid element stores nothing', async () => {
    const res = await api.http.post('/api/metadata/taskdefs').send([{ name: 'md_ok1' }, { name: 'md_bad', timeoutPolicy: 'NEVER' }]);
    expectViolations(res, []);
    expect(JSON.stringify(res.body.validationErrors)).toContain('[1]');
    await api.http.get('/api/metadata/taskdefs/md_ok1').expect(404);
  });

  test('a failed update leaves the previous definition', async () => {
    await api.http.put('/api/metadata/taskdefs').send({ name: 'md_a', retryCount: -1 }).expect(400);
    expect((await api.http.get('/api/metadata/taskdefs/md_a')).body.retryCount).toBe(2);
  });
});

describe('workflow definitions', () => {
  test('POST /workflow registers; a duplicate answers 409 unless overwrite=true', async () => {
    const res = await api.http.post('/api/metadata/workflow').send(simpleDef('md_wf'));
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    expectError(await api.http.post('/api/metadata/workflow').send(simpleDef('md_wf')), 409, 'Workflow with md_wf.1 already exists!');
    await api.http.post('/api/metadata/workflow?overwrite=true').send({ ...simpleDef('md_wf'), description: 'v1b' }).expect(200);
    expect((await api.http.get('/api/metadata/workflow/md_wf')).body.description).toBe('v1b');
  });

  test('GET /workflow/{name} returns the latest version, or the one asked for', async () => {
    await api.http.post('/api/metadata/workflow').send(simpleDef('md_wf', 2)).expect(200);
    expect((await api.http.get('/api/metadata/workflow/md_wf')).body.version).toBe(2);
    expect((await api.http.get('/api/metadata/workflow/md_wf?version=1')).body.version).toBe(1);
    expectError(await api.http.get('/api/metadata/workflow/md_wf?version=9'), 404, 'No such workflow found by name: md_wf, version: 9');
    expectError(await api.http.get('/api/metadata/workflow/md_nope'), 404, 'No such workflow found by name: md_nope, version: null');
    expectError(await api.http.get('/api/metadata/workflow/md_wf?version=two'), 400);
  });

  test('list endpoints: all, names, names-and-versions, versions, latest-versions', async () => {
    const all = (await api.http.get('/api/metadata/workflow').expect(200)).body;
    expect(all.filter((d: { name: string }) => d.name === 'md_wf').map((d: { version: number }) => d.version)).toEqual([1, 2]);
    expect((await api.http.get('/api/metadata/workflow/names').expect(200)).body).toContain('md_wf');
    const nv = (await api.http.get('/api/metadata/workflow/names-and-versions').expect(200)).body;
    expect(nv.md_wf.map((s: { version: number }) => s.version)).toEqual([1, 2]);
    expect(nv.md_wf[0]).toEqual({ name: 'md_wf', version: 1, createTime: expect.any(Number), updateTime: expect.any(Number) });
    const versions = (await api.http.get('/api/metadata/workflow/md_wf/versions').expect(200)).body;
    expect(versions.map((s: { version: number }) => s.version)).toEqual([1, 2]);
    const latest = (await api.http.get('/api/metadata/workflow/latest-versions').expect(200)).body;
    expect(latest.find((d: { name: string }) => d.name === 'md_wf').version).toBe(2);
  });

  test('definitions come back verbatim, incl. task types Baton does not run', async () => {
    const def = {
      name: 'md_llm', version: 1, description: 'llm', ownerEmail: 'a@b.c', schemaVersion: 2, timeoutSeconds: 60,
      inputParameters: ['prompt'], outputParameters: { answer: '${chat.output.result}' }, variables: { k: 'v' }, restartable: true, failureWorkflow: '',
      tasks: [{
        name: 'chat', taskReferenceName: 'chat', type: 'LLM_CHAT_COMPLETE',
        inputParameters: { llmProvider: 'openai', model: 'gpt-4o', temperature: 0.2, maxTokens: 100, messages: [{ role: 'user', message: '${workflow.input.prompt}' }] },
      }],
    };
    await api.http.post('/api/metadata/workflow').send(def).expect(200);
    const got = (await api.http.get('/api/metadata/workflow/md_llm').expect(200)).body;
    expect(got).toMatchObject(def);
  });

  test('DELETE /workflow/{name}/{version}; unknown → 404', async () => {
    const res = await api.http.delete('/api/metadata/workflow/md_wf/2').expect(200);
    expect(res.text).toBe('');
    expect((await api.http.get('/api/metadata/workflow/md_wf')).body.version).toBe(1);
    expectError(await api.http.delete('/api/metadata/workflow/md_wf/7'), 404, 'No such workflow definition: md_wf version: 7');
    expectError(await api.http.delete('/api/metadata/workflow/md_wf/x'), 400);
  });

  test('a registration 400 leaves the previous definition', async () => {
    const res = await api.http.post('/api/metadata/workflow?overwrite=true').send({ name: 'md_wf', version: 1, tasks: [] });
    expectViolations(res, []);
    expect((await api.http.get('/api/metadata/workflow/md_wf?version=1')).body.description).toBe('v1b');
  });

  test('validation errors name the offending fields', async () => {
    expectViolations(await api.http.post('/api/metadata/workflow').send({ tasks: [{ name: 't', taskReferenceName: 't' }] }), ['registerWorkflowDef.workflowDef.name']);
    expectViolations(await api.http.post('/api/metadata/workflow').send({ name: 'md_x', tasks: [{ taskReferenceName: 't' }] }), []);
    expectViolations(await api.http.post('/api/metadata/workflow').send({ name: 'md_x', version: 'one', tasks: [{ name: 't', taskReferenceName: 't' }] }), []);
    expectError(await api.http.post('/api/metadata/workflow').send([simpleDef('md_arr')]), 400);
    expectError(await api.http.post('/api/metadata/workflow?overwrite=maybe').send(simpleDef('md_q')), 400);
  });

  test('POST /workflow/validate answers 200 or 400 and stores nothing', async () => {
    await api.http.post('/api/metadata/workflow/validate').send(simpleDef('md_val')).expect(200);
    expectViolations(await api.http.post('/api/metadata/workflow/validate').send({ name: 'md_val', tasks: [] }), []);
    await api.http.get('/api/metadata/workflow/md_val').expect(404);
  });

  test('PUT /workflow upserts an array and answers a BulkResponse', async () => {
    const res = await api.http.put('/api/metadata/workflow').send([simpleDef('md_bulk1'), simpleDef('md_bulk2')]).expect(200);
    expect(res.body).toEqual({ bulkErrorResults: {}, bulkSuccessfulResults: ['md_bulk1', 'md_bulk2'] });
    await api.http.put('/api/metadata/workflow').send([{ ...simpleDef('md_bulk1'), description: 'again' }]).expect(200);
    expect((await api.http.get('/api/metadata/workflow/md_bulk1')).body.description).toBe('again');
  });

  test('PUT /workflow with one invalid element stores nothing', async () => {
    const res = await api.http.put('/api/metadata/workflow').send([simpleDef('md_bulk3'), { name: 'md_bulk4', tasks: [] }]);
    expectViolations(res, []);
    await api.http.get('/api/metadata/workflow/md_bulk3').expect(404);
    expectError(await api.http.put('/api/metadata/workflow').send(simpleDef('md_bulk5')), 400);
  });
});
