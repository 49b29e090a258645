/**
 * The inspection UI in a real browser: Debian's chromium, headless, driven by playwright-core,
 * against an in-process engine on a loopback port. A run with a fork (one branch a sub-workflow),
 * a loop, a switch and a worker task that fails (driven through the REST API, as a worker would)
 * is found in the list by correlation id, inspected (graph colour, task log), retried from the UI
 * and seen to complete. One screenshot per page goes to test-artifacts/ui/ (not committed);
 * UPDATE_DOCS_SCREENSHOT=1 also refreshes docs/ui-execution.png.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startBaton, type TestBaton } from '../helpers/baton';

const ROOT = join(__dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test-artifacts', 'ui');
const T = 120_000;
/** The failure colour of a graph node (style.css --c-FAILED / --f-FAILED). */
const FAILED_STROKE = 'rgb(198, 40, 40)';
const FAILED_FILL = 'rgb(251, 218, 218)';

type Json = Record<string, any>;

function client(base: string, token?: string) {
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; text: string; json: () => any }> => {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers['X-Authorization'] = token;
    const res = await fetch(`${base}/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path} → ${res.status} ${text}`);
    return { status: res.status, text, json: () => JSON.parse(text) };
  };
  return {
    call,
    /** Long-poll one task of a type (the engine hands it out as soon as it is scheduled). */
    async pollTask(type: string, workerId: string): Promise<Json> {
      for (let i = 0; i < 12; i++) {
        const tasks = (await call('GET', `/tasks/poll/batch/${type}?workerid=${workerId}&count=1&timeout=5000`)).json();
        if (tasks.length) return tasks[0];
      }
      throw new Error(`no ${type} task was scheduled within 60 s`);
    },
  };
}

const inline = (ref: string, expression: string, extra: Json = {}) => ({ name: ref, taskReferenceName: ref, type: 'INLINE', inputParameters: { evaluatorType: 'javascript', expression, ...extra } });

const CHILD = { name: 'ui_child', version: 1, schemaVersion: 2, tasks: [inline('child_step', '(function(){ return "from the child"; })()')] };

const PIPELINE = {
  name: 'ui_pipeline',
  version: 1,
  schemaVersion: 2,
  description: 'fork (with a sub-workflow), loop, switch and a worker task',
  inputParameters: ['mode'],
  tasks: [
    inline('prepare', '(function(){ return { ok: true }; })()'),
    {
      name: 'fan_out',
      taskReferenceName: 'fan_out',
      type: 'FORK_JOIN',
      forkTasks: [[inline('left', '1 + 1')], [{ name: 'child', taskReferenceName: 'child', type: 'SUB_WORKFLOW', subWorkflowParam: { name: 'ui_child', version: 1 } }]],
    },
    { name: 'fan_in', taskReferenceName: 'fan_in', type: 'JOIN', joinOn: ['left', 'child'] },
    {
      name: 'repeat',
      taskReferenceName: 'repeat',
      type: 'DO_WHILE',
      inputParameters: {},
      loopCondition: "if ($.repeat['iteration'] < 3) { true; } else { false; }",
      loopOver: [inline('step', '$.i * 2', { i: '${repeat.output.iteration}' })],
    },
    {
      name: 'route',
      taskReferenceName: 'route',
      type: 'SWITCH',
      evaluatorType: 'value-param',
      expression: 'mode',
      inputParameters: { mode: '${workflow.input.mode}' },
      decisionCases: { fast: [inline('shortcut', '"fast"')], safe: [inline('careful', '"safe"')] },
      defaultCase: [],
    },
    { name: 'ui_work', taskReferenceName: 'work', type: 'SIMPLE', inputParameters: { mode: '${workflow.input.mode}' } },
  ],
  outputParameters: { result: '${work.output.result}' },
};

function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}. The browser tests drive Debian's chromium headless: ` +
        'install it with `apt-get install -y chromium` (or set CHROMIUM_PATH to a Chromium binary).',
    );
  }
}

/** Compile the UI's modules (what `npm run build` does for them), so the test runs the sources as they are. */
function buildUi(): void {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'engine/ui/tsconfig.json')], { cwd: ROOT, stdio: 'pipe' });
}

async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

async function shot(page: Page, name: string): Promise<string> {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

describe('inspection UI in chromium', () => {
  let baton: TestBaton;
  let browser: Browser;
  let page: Page;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    requireChromium();
    buildUi();
    mkdirSync(ARTIFACTS, { recursive: true });
    baton = await startBaton();
    api = client(baton.url);
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.setDefaultTimeout(20_000);
  }, T);

  afterAll(async () => {
    await browser?.close();
    await baton?.close();
  });

  test('find a failed run by correlation id, read the failed task and its log, retry it and see it complete', async () => {
    await api.call('POST', '/metadata/taskdefs', [{ name: 'ui_work', retryCount: 0, responseTimeoutSeconds: 60, timeoutSeconds: 0 }]);
    await api.call('POST', '/metadata/workflow?overwrite=true', CHILD);
    await api.call('POST', '/metadata/workflow?overwrite=true', PIPELINE);
    const correlationId = `ui-test-${Date.now()}`;
    const id = (await api.call('POST', '/workflow', { name: 'ui_pipeline', version: 1, correlationId, input: { mode: 'fast' } })).text;
    // other runs, so the search has something to leave out
    await api.call('POST', '/workflow', { name: 'ui_child', version: 1, correlationId: 'someone-else' });
    await api.call('POST', '/workflow', { name: 'ui_child', version: 1 });

    // the worker: poll, then fail with a log line
    const task = await api.pollTask('ui_work', 'ui-test-worker');
    expect(task.workflowInstanceId).toBe(id);
    await api.call('POST', '/tasks', {
      workflowInstanceId: id,
      taskId: task.taskId,
      workerId: 'ui-test-worker',
      status: 'FAILED',
      reasonForIncompletion: 'compiler exploded at line 42',
      logs: [{ log: 'boom: the build step ran out of patience', createdTime: Date.now() }],
    });
    expect((await api.call('GET', `/workflow/${id}/status`)).json().status).toBe('FAILED');

    // the list: search by correlation id
    await page.goto(`${baton.url}/`);
    await page.locator('table#executions tbody tr').first().waitFor();
    await shot(page, '01-executions');
    await page.fill('#f-corr', correlationId);
    await page.click('form.filters button[type=submit]');
    const row = page.locator(`tr[data-workflow-id="${id}"]`);
    // the run and its sub-workflow run (which inherits the correlation id) are all that is left
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('table#executions tbody tr').length === 2);
    await row.waitFor();
    const childId = (await api.call('GET', `/workflow/${id}`)).json().tasks.find((t: Json) => t.referenceTaskName === 'child').subWorkflowId;
    await page.locator(`tr[data-workflow-id="${childId}"]`).waitFor();
    await expect(row.locator('.badge').textContent()).resolves.toBe('FAILED');
    expect(page.url()).toContain(`correlationId=${correlationId}`);
    await shot(page, '02-executions-filtered');

    // the execution: graph coloured by status
    await row.locator('a', { hasText: id }).click();
    await page.waitForURL(`**/execution/${id}`);
    const work = page.locator('svg.graph g.node[data-ref="work"]');
    await work.waitFor();
    await expect(work.getAttribute('data-status')).resolves.toBe('FAILED');
    const shape = work.locator('rect.shape');
    await expect(shape.evaluate((el: any) => (globalThis as any).getComputedStyle(el).stroke)).resolves.toBe(FAILED_STROKE);
    await expect(shape.evaluate((el: any) => (globalThis as any).getComputedStyle(el).fill)).resolves.toBe(FAILED_FILL);
    // fork branches side by side, both completed; the loop ran 3 times; the switch took "fast"
    const left = await page.locator('g.node[data-ref="left"]').boundingBox();
    const child = await page.locator('g.node[data-ref="child"]').boundingBox();
    expect(left && child && Math.abs(left.y - child.y) < 1 && left.x !== child.x).toBe(true);
    await expect(page.locator('g.node[data-ref="child"]').getAttribute('data-status')).resolves.toBe('COMPLETED');
    await expect(page.locator('g.node[data-ref="fan_in"]').getAttribute('data-status')).resolves.toBe('COMPLETED');
    await expect(page.locator('g.loop-box[data-loop="repeat"] .loop-label').textContent()).resolves.toContain('3 iterations');
    await expect(page.locator('g.node[data-ref="shortcut"]').getAttribute('data-status')).resolves.toBe('COMPLETED');
    await expect(page.locator('g.node[data-ref="careful"]').getAttribute('data-status')).resolves.toBe('NOT_RUN');
    await expect(page.locator('.gantt-row[data-task-id]').count()).resolves.toBeGreaterThanOrEqual(9);

    // the task panel: reason, worker and the log
    await work.click();
    await expect(page.locator('#task-panel h2').textContent()).resolves.toBe('work');
    await expect(page.locator('#task-reason').textContent()).resolves.toContain('compiler exploded at line 42');
    await expect(page.locator('#task-worker').textContent()).resolves.toBe('ui-test-worker');
    await page.locator('#task-log li', { hasText: 'boom: the build step ran out of patience' }).waitFor();
    const executionShot = await shot(page, '03-execution-failed');
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') {
      // the README's picture: the whole graph, the failed task's panel and the timeline
      const docs = join(ROOT, 'docs', 'ui-execution.png');
      await page.setViewportSize({ width: 1360, height: 1540 });
      await page.locator('#graph').evaluate((el: any) => el.scrollTo(0, 0));
      await page.evaluate(() => (globalThis as any).scrollTo(0, 0));
      await page.mouse.move(0, 0);
      await page.screenshot({ path: docs });
      await page.setViewportSize({ width: 1360, height: 900 });
      expect(statSync(docs).size).toBeLessThan(300 * 1024);
    }
    expect(existsSync(executionShot)).toBe(true);

    // retry from the UI: the run is RUNNING again with a new attempt of `work`
    const retryCall = page.waitForRequest((r) => r.method() === 'POST' && r.url().includes('/retry'));
    await page.click('button[data-action="retry"]');
    expect(new URL((await retryCall).url()).pathname + new URL((await retryCall).url()).search).toBe(`/api/workflow/${id}/retry?resumeSubworkflowTasks=false`);
    await page.locator('.page-head .badge[data-status="RUNNING"]').waitFor();
    await page.locator('svg.graph g.node[data-ref="work"][data-status="SCHEDULED"]').waitFor();
    // the worker completes the new attempt
    const again = await api.pollTask('ui_work', 'ui-test-worker');
    expect(again.taskId).not.toBe(task.taskId);
    await api.call('POST', '/tasks', { workflowInstanceId: id, taskId: again.taskId, workerId: 'ui-test-worker', status: 'COMPLETED', outputData: { result: 'built' }, logs: [{ log: 'second time lucky', createdTime: Date.now() }] });
    // the page follows the run by itself
    await page.locator('.page-head .badge[data-status="COMPLETED"]').waitFor();
    await page.locator('svg.graph g.node[data-ref="work"][data-status="COMPLETED"]').waitFor();
    await page.locator('#task-log li', { hasText: 'second time lucky' }).waitFor();
    await expect(page.locator('g.node[data-ref="work"] .badge-attempts text').textContent()).resolves.toBe('×2');
    await shot(page, '04-execution-completed');

    // the sub-workflow node opens the child run
    await page.click('g.node[data-ref="child"] a.child-link');
    await page.locator('.page-head h1', { hasText: 'ui_child' }).waitFor();
    await page.locator('dl.summary a', { hasText: id }).waitFor();
    await shot(page, '05-child-execution');
  }, T);

  test('definitions: graph and JSON of a definition; the start form validates the input and opens the new run', async () => {
    await page.goto(`${baton.url}/definitions`);
    await page.click('#workflow-defs a:text-is("ui_pipeline")');
    await page.waitForURL('**/definitions/workflow/ui_pipeline');
    await page.locator('svg.graph g.node[data-ref="work"][data-status="DEFINED"]').waitFor();
    await expect(page.locator('pre.json[aria-label="definition JSON"]').textContent()).resolves.toContain('"ui_pipeline"');
    await page.fill('#start-input', '{"mode": ');
    await expect(page.locator('#start-error').textContent()).resolves.toMatch(/Not valid JSON/);
    await expect(page.locator('#start-form button[type=submit]').isDisabled()).resolves.toBe(true);
    await page.fill('#start-input', '[1, 2]');
    await expect(page.locator('#start-error').textContent()).resolves.toMatch(/must be a JSON object/);
    await page.fill('#start-input', '{"mode": "safe"}');
    await page.fill('#start-corr', 'started-from-the-ui');
    await shot(page, '06-definition');
    await page.click('#start-form button[type=submit]');
    await page.waitForURL('**/execution/*');
    const newId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    const wf = (await api.call('GET', `/workflow/${newId}`)).json();
    expect(wf).toMatchObject({ workflowName: 'ui_pipeline', correlationId: 'started-from-the-ui', input: { mode: 'safe' } });
    await page.locator('svg.graph g.node[data-ref="careful"][data-status="COMPLETED"]').waitFor();
    await page.locator('svg.graph g.node[data-ref="work"][data-status="SCHEDULED"]').waitFor();
    await shot(page, '07-started-run');

    await page.goto(`${baton.url}/definitions?tab=tasks`);
    await page.click('#task-defs a:text-is("ui_work")');
    await expect(page.locator('pre.json').textContent()).resolves.toContain('"responseTimeoutSeconds": 60');
  }, T);

  test('queues and workers: pending tasks and the last poll per task type', async () => {
    await page.goto(`${baton.url}/queues`);
    const row = page.locator('#queues tr[data-queue="ui_work"]');
    await row.waitFor();
    await expect(row.locator('td[data-size]').getAttribute('data-size')).resolves.toBe('1');
    await expect(row.locator('td.mono').textContent()).resolves.toBe('ui-test-worker');
    await expect(row.locator('td').nth(3).textContent()).resolves.toMatch(/ago$/);
    await shot(page, '08-queues');
  }, T);

  test('actions: pause, resume, skip, terminate with a reason, rerun from a task and restart, each the Conductor call', async () => {
    await api.call('POST', '/metadata/taskdefs', [{ name: 'ui_act', retryCount: 0, responseTimeoutSeconds: 60, timeoutSeconds: 0 }]);
    const step = (ref: string) => ({ name: 'ui_act', taskReferenceName: ref, type: 'SIMPLE' });
    await api.call('POST', '/metadata/workflow?overwrite=true', { name: 'ui_actions', version: 1, schemaVersion: 2, tasks: [step('first'), step('second'), step('third')] });
    const id = (await api.call('POST', '/workflow', { name: 'ui_actions', version: 1 })).text;
    const status = async () => (await api.call('GET', `/workflow/${id}`)).json();
    const calls: string[] = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (r.method() !== 'GET' && u.pathname.startsWith('/api/')) calls.push(`${r.method()} ${u.pathname}${u.search}${r.postData() ? ` ${r.postData()}` : ''}`);
    });
    const badge = (st: string) => page.locator(`.page-head .badge[data-status="${st}"]`).waitFor();
    const confirm = () => page.click('form.modal button[type=submit]');

    await page.goto(`${baton.url}/execution/${id}`);
    await page.locator('g.node[data-ref="first"][data-status="SCHEDULED"]').waitFor();
    await page.click('button[data-action="pause"]');
    await badge('PAUSED');
    await page.click('button[data-action="resume"]');
    await badge('RUNNING');

    await page.click('g.node[data-ref="second"]');
    await page.click('#task-panel button[data-action="skip"]');
    await confirm();
    await page.locator('g.node[data-ref="second"][data-status="SKIPPED"]').waitFor();

    await page.click('button[data-action="terminate"]');
    await page.fill('#modal-reason', 'stopped from the UI');
    await confirm();
    await badge('TERMINATED');
    await page.locator('dl.summary', { hasText: 'stopped from the UI' }).waitFor();
    expect((await status()).reasonForIncompletion).toBe('stopped from the UI');

    await page.click('g.node[data-ref="first"]');
    await page.click('#task-panel button[data-action="rerun"]');
    await confirm();
    await badge('RUNNING');
    const firstId = (await status()).tasks.find((t: Json) => t.referenceTaskName === 'first').taskId;

    await page.click('button[data-action="terminate"]');
    await confirm();
    await badge('TERMINATED');
    await page.click('button[data-action="restart"]');
    await confirm();
    await badge('RUNNING');
    await page.locator('g.node[data-ref="first"][data-status="SCHEDULED"]').waitFor();
    await shot(page, '10-actions');
    expect(calls).toEqual([
      `PUT /api/workflow/${id}/pause`,
      `PUT /api/workflow/${id}/resume`,
      `PUT /api/workflow/${id}/skiptask/second`,
      `DELETE /api/workflow/${id}?reason=stopped+from+the+UI`,
      `POST /api/workflow/${id}/rerun {"reRunFromWorkflowId":"${id}","reRunFromTaskId":"${firstId}"}`,
      `DELETE /api/workflow/${id}`,
      `POST /api/workflow/${id}/restart?useLatestDefinitions=false`,
    ]);

    // the open task follows its worker: status and log lines appear without a reload
    const polled = await api.pollTask('ui_act', 'ui-test-worker');
    expect(polled.referenceTaskName).toBe('first');
    await page.click('g.node[data-ref="first"]');
    await page.locator('g.node[data-ref="first"][data-status="IN_PROGRESS"]').waitFor();
    await api.call('POST', `/tasks/${polled.taskId}/log`, 'compiling 3 of 7');
    await page.locator('#task-log li', { hasText: 'compiling 3 of 7' }).waitFor();
  }, T);

  test('page paths load the UI; unknown /api paths stay 404 JSON', async () => {
    const res = await page.goto(`${baton.url}/execution/no-such-run`);
    expect(res?.status()).toBe(200);
    await page.locator('.page-head h1', { hasText: 'Execution not found' }).waitFor();
    const api404 = await page.request.get(`${baton.url}/api/no/such/route`);
    expect(api404.status()).toBe(404);
    expect(api404.headers()['content-type']).toMatch(/application\/json/);
  }, T);
});

describe('inspection UI with auth on', () => {
  const keyId = 'ui-key';
  const keySecret = 'a-long-enough-secret-for-ui';
  let baton: TestBaton;
  let browser: Browser;

  beforeAll(async () => {
    requireChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
    baton = await startBaton({ env: { BATON_AUTH_KEY_ID: keyId, BATON_AUTH_KEY_SECRET: keySecret } });
    browser = await launch();
  }, T);

  afterAll(async () => {
    await browser?.close();
    await baton?.close();
  });

  test('asks for the key and secret, then calls the API with the token', async () => {
    const token = JSON.parse(
      await (await fetch(`${baton.url}/api/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ keyId, keySecret }) })).text(),
    ).token as string;
    const api = client(baton.url, token);
    await api.call('POST', '/metadata/workflow?overwrite=true', CHILD);
    const id = (await api.call('POST', '/workflow', { name: 'ui_child', version: 1, correlationId: 'behind-auth' })).text;

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(20_000);
    await page.goto(`${baton.url}/`);
    const dialog = page.locator('form.modal[aria-label="Sign in"]');
    await dialog.waitFor();
    await shot(page, '09-sign-in');
    await page.fill('#modal-keyId', keyId);
    await page.fill('#modal-keySecret', 'not-the-secret');
    await page.click('form.modal button[type=submit]');
    await page.locator('form.modal', { hasText: 'Invalid key id or secret' }).waitFor();
    await page.fill('#modal-keyId', keyId);
    await page.fill('#modal-keySecret', keySecret);
    await page.click('form.modal button[type=submit]');
    await page.locator(`tr[data-workflow-id="${id}"]`).waitFor();
    await expect(dialog.count()).resolves.toBe(0);
    await page.locator('#account button', { hasText: 'Sign out' }).waitFor();
    await page.close();
  }, T);
});
