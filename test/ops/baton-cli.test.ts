/** The `baton` CLI against a real engine on loopback: register, start, status, logs, export and import. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, CliError, progressLines } from '../../scripts/baton';
import { startBaton, type TestBaton } from '../helpers/baton';

const ROOT = join(__dirname, '../..');
let a: TestBaton;
let b: TestBaton;
let dir: string;
const saved = process.env.CONDUCTOR_SERVER_URL;

beforeAll(async () => {
  a = await startBaton();
  b = await startBaton();
  dir = mkdtempSync(join(tmpdir(), 'baton-cli-'));
});
afterAll(async () => {
  process.env.CONDUCTOR_SERVER_URL = saved;
  await a.close();
  await b.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(server: TestBaton | string, ...argv: string[]): Promise<{ code: number; out: string }> {
  process.env.CONDUCTOR_SERVER_URL = typeof server === 'string' ? server : `${server.url}/api`;
  const lines: string[] = [];
  const code = await main(argv, (s) => lines.push(s));
  return { code, out: lines.join('\n') };
}

test('register, start, status, logs', async () => {
  expect((await run(a, 'register', join(ROOT, 'taskdefs'), join(ROOT, 'workflows'))).out).toMatch(/^registered \d+ task definitions, \d+ workflows/);
  const started = await run(a, 'start', 'baton_demo', '--input', '{"name":"Ada"}', '--correlation-id', 'cli-1');
  const id = started.out.trim();
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  const wf = (await (await fetch(`${a.url}/api/workflow/${id}`)).json()) as { correlationId: string; input: unknown; tasks: { taskId: string }[] };
  expect(wf).toMatchObject({ correlationId: 'cli-1', input: { name: 'Ada' } });
  await fetch(`${a.url}/api/tasks/${wf.tasks[0].taskId}/log`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify('greeting Ada') });
  const st = await run(a, 'status', id);
  expect(st.code).toBe(0);
  expect(st.out.split('\n')[0]).toContain(`${id} RUNNING`);
  expect(st.out).toMatch(/greet\s+demo_greet\s+SCHEDULED/);
  expect((await run(a, 'logs', wf.tasks[0].taskId)).out).toMatch(/Z greeting Ada$/);
});

test('export from one server and import into another restores the definitions', async () => {
  await fetch(`${a.url}/api/event`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'cli_handler', event: 'conductor:q', active: true, actions: [{ action: 'complete_task', complete_task: { workflowId: '${wf}', taskRefName: 'x' } }] }) });
  const file = join(dir, 'backup.json');
  expect((await run(a, 'export', '--out', file)).out).toMatch(/^exported \d+ task definitions/);
  const backup = JSON.parse(readFileSync(file, 'utf8'));
  expect(backup.kind).toBe('baton-definitions');
  expect((await run(b, 'import', file)).out).toMatch(/^imported/);
  // importing twice is harmless (an existing handler is updated)
  expect((await run(b, 'import', file)).code).toBe(0);
  const names = async (t: TestBaton, path: string) => ((await (await fetch(`${t.url}/api${path}`)).json()) as { name: string }[]).map((x) => x.name).sort();
  for (const p of ['/metadata/taskdefs', '/metadata/workflow', '/event']) expect(await names(b, p)).toEqual(await names(a, p));
});

test('bad input and an unreachable server are clear errors', async () => {
  await expect(run(a, 'start', 'baton_demo', '--input', '{nope')).rejects.toThrow(/--input is not JSON/);
  await expect(run(a, 'start', 'baton_demo', '--input', '[1]')).rejects.toThrow(/must be a JSON object/);
  await expect(run(a, 'start', 'no_such_workflow')).rejects.toThrow(/POST \/workflow: 404/);
  await expect(run(a, 'frobnicate')).rejects.toBeInstanceOf(CliError);
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"kind":"other"}');
  await expect(run(a, 'import', bad)).rejects.toThrow(/not a backup/);
  await expect(run('http://127.0.0.1:9/api', 'status', 'x')).rejects.toThrow(/cannot reach http:\/\/127.0.0.1:9\/api/);
});

test('progress lines show each task with its status, time and reason', () => {
  const lines = progressLines({ workflowName: 'fw', workflowId: 'id1', status: 'FAILED', reasonForIncompletion: 'boom', tasks: [{ referenceTaskName: 'compile', taskType: 'compile', status: 'FAILED_WITH_TERMINAL_ERROR', startTime: 1000, endTime: 3500, retryCount: 1, reasonForIncompletion: 'COMPILE_ERROR: x' }] }, 9999);
  expect(lines[0]).toBe('fw id1 FAILED: boom');
  expect(lines[1]).toMatch(/compile\s+compile\s+FAILED_WITH_TERMINAL_ERROR\s+2\.5s retry 1  COMPILE_ERROR: x/);
});
