/**
 * kill -9 the engine at seeded moments while workflows with control flow run: a dynamic fork
 * whose branches are sub-workflows (each a SIMPLE task and an INLINE), then a DO_WHILE of three
 * SIMPLE iterations. After every kill the engine restarts on the same database and port. At the
 * end (read from SQLite after a clean shutdown):
 *
 * - every parent COMPLETED, its JOIN holds one output per branch, its loop ran 3 iterations;
 * - every branch's last SUB_WORKFLOW attempt COMPLETED and points at a COMPLETED child whose
 *   output it carries; every child in the database belongs to a SUB_WORKFLOW attempt of its
 *   parent (no orphans started twice by a redelivered claim);
 * - no worker task id was handed out twice.
 */
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { orkesConductorClient, TaskManager } from '@io-orkes/conductor-javascript';
import { spawnEngine, type EngineProcess } from '../../bench/lib/engine-process';
import { prng } from '../helpers/prng';

const SEED = Number(process.env.CRASH_SEED ?? 0xc0_ffee);
const PARENTS = 30;
const BRANCHES = 4;
const KILLS = 3;
const DEADLINE_MS = 120_000;
const LEAF = 'cf_crash_leaf';

jest.setTimeout(DEADLINE_MS + 30_000);
const quiet = { info: () => undefined, error: () => undefined, debug: () => undefined, warn: () => undefined };


type Row = { workflow_id: string; status: string; parent_workflow_id: string | null; json: string };
type TaskRow = { task_id: string; workflow_id: string; status: string; json: string };

describe('kill -9 during forks, sub-workflows and loops', () => {
  let dir: string;
  let dbPath: string;
  let engine: EngineProcess | undefined;
  let manager: TaskManager | undefined;
  const children = new Set<ChildProcess>();
  const start = (port: number) =>
    spawnEngine({
      dbPath,
      defsDir: join(dir, 'defs'),
      port,
      onSpawn: (child) => {
        children.add(child);
        child.once('exit', () => children.delete(child));
      },
    });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'baton-crash-cf-'));
    mkdirSync(join(dir, 'defs'));
    dbPath = join(dir, 'baton.db');
  });
  afterAll(async () => {
    await manager?.stopPolling();
    await engine?.kill9();
    for (const child of children) if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test(`${PARENTS} parents x ${BRANCHES} sub-workflow branches + a loop survive ${KILLS} SIGKILLs (seed ${SEED})`, async () => {
    const rand = prng(SEED);
    const t0 = Date.now();
    engine = await start(0);
    const port = engine.port;
    const post = async (path: string, body: unknown): Promise<string> => {
      const r = await fetch(`${engine!.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (!r.ok) throw new Error(`POST ${path}: ${r.status} ${await r.text()}`);
      return r.text();
    };
    await post('/api/metadata/taskdefs', [{ name: LEAF, retryCount: 6, retryDelaySeconds: 0, timeoutPolicy: 'RETRY', timeoutSeconds: 60, responseTimeoutSeconds: 2 }]);
    await post('/api/metadata/workflow', {
      name: 'cf_crash_child',
      version: 1,
      tasks: [
        { name: LEAF, taskReferenceName: 'leaf', inputParameters: { k: '${workflow.input.k}' } },
        { name: 'twice', taskReferenceName: 'twice', type: 'INLINE', inputParameters: { evaluatorType: 'javascript', v: '${leaf.output.k}', expression: '$.v * 2' } },
      ],
      outputParameters: { doubled: '${twice.output.result}' },
    });
    await post('/api/metadata/workflow', {
      name: 'cf_crash_parent',
      version: 1,
      tasks: [
        { name: 'fan', taskReferenceName: 'fan', type: 'FORK_JOIN_DYNAMIC', inputParameters: { forkTaskWorkflow: 'cf_crash_child', forkTaskWorkflowVersion: '1', forkTaskInputs: '${workflow.input.items}' } },
        { name: 'join', taskReferenceName: 'join', type: 'JOIN' },
        {
          name: 'loop',
          taskReferenceName: 'loop',
          type: 'DO_WHILE',
          loopCondition: '$.loop.iteration < 3',
          loopOver: [{ name: LEAF, taskReferenceName: 'step', inputParameters: { k: '${loop.output.iteration}' } }],
        },
      ],
    });

    let progress = 0;
    const waiters: Array<{ at: number; go: () => void }> = [];
    const bump = () => {
      progress++;
      for (const w of [...waiters]) if (progress >= w.at) {
        waiters.splice(waiters.indexOf(w), 1);
        w.go();
      }
    };
    const reached = (at: number) => new Promise<void>((go) => (progress >= at ? go() : waiters.push({ at, go })));
    // ~30 starts + 120 leaves + 90 loop steps
    const killAt = Array.from({ length: KILLS }, () => 20 + Math.floor(rand() * 200)).sort((a, b) => a - b);
    const deadFor = killAt.map(() => Math.floor(rand() * 2600));

    const executions = new Map<string, number>();
    const inFlight = { polls: 0, updates: 0 };
    const client = await orkesConductorClient({ serverUrl: engine.url });
    manager = new TaskManager(
      client,
      [
        {
          taskDefName: LEAF,
          execute: async (task) => {
            const id = task.taskId!;
            executions.set(id, (executions.get(id) ?? 0) + 1);
            inFlight.updates++;
            bump();
            await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 15)));
            return { status: 'COMPLETED', outputData: { k: task.inputData?.k, by: id } };
          },
        },
      ],
      {
        logger: quiet,
        options: { pollInterval: 5, concurrency: 10, batchPollingTimeout: 500, workerID: 'crash-cf' },
        eventListeners: [
          {
            onPollStarted: () => void inFlight.polls++,
            onPollCompleted: () => void inFlight.polls--,
            onPollFailure: () => void inFlight.polls--,
            onTaskUpdateCompleted: () => void inFlight.updates--,
            onTaskUpdateFailure: () => void inFlight.updates--,
          },
        ],
      },
    );
    manager.startPolling();

    const outages: number[] = [];
    const killer = (async () => {
      for (const [i, at] of killAt.entries()) {
        await reached(at);
        const down = Date.now();
        await engine!.kill9();
        await new Promise((r) => setTimeout(r, deadFor[i]));
        engine = await start(port);
        outages.push(Date.now() - down);
      }
    })();

    const ids: string[] = [];
    for (let n = 0; n < PARENTS; n++) {
      const items = Array.from({ length: BRANCHES }, (_, b) => ({ k: n * 10 + b }));
      for (;;) {
        try {
          ids.push(await post('/api/workflow', { name: 'cf_crash_parent', version: 1, input: { items }, correlationId: `cf-${n}` }));
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 200)); // the engine is down; try again
        }
      }
      bump();
    }
    await killer;

    const pending = new Set(ids);
    while (pending.size > 0 && Date.now() - t0 < DEADLINE_MS) {
      for (const id of [...pending]) {
        const r = await fetch(`${engine.url}/api/workflow/${id}?includeTasks=false`);
        const wf = (await r.json()) as { status: string };
        if (wf.status !== 'RUNNING') pending.delete(id);
      }
      if (pending.size > 0) await new Promise((r) => setTimeout(r, 100));
    }
    await manager.stopPolling();
    manager = undefined;
    const settle = Date.now() + 10_000;
    while ((inFlight.polls > 0 || inFlight.updates > 0) && Date.now() < settle) await new Promise((r) => setTimeout(r, 20));
    await engine.stop();
    expect(outages).toHaveLength(KILLS);
    expect([...pending]).toEqual([]);

    const db = new Database(dbPath, { readonly: true });
    const wfs = db.prepare('SELECT workflow_id, status, parent_workflow_id, json FROM workflows').all() as Row[];
    const tasks = db.prepare('SELECT task_id, workflow_id, status, json FROM tasks ORDER BY workflow_id, seq').all() as TaskRow[];
    db.close();
    const wfById = new Map(wfs.map((w) => [w.workflow_id, w]));
    const tasksOf = new Map<string, Array<TaskRow & { t: Record<string, any> }>>();
    for (const t of tasks) tasksOf.set(t.workflow_id, [...(tasksOf.get(t.workflow_id) ?? []), { ...t, t: JSON.parse(t.json) }]);

    const problems: string[] = [];
    const childOwners = new Set<string>();
    for (const [wid, rows] of tasksOf) for (const r of rows) if (r.t.taskType === 'SUB_WORKFLOW' && r.t.subWorkflowId) childOwners.add(`${wid}/${r.task_id}/${r.t.subWorkflowId}`);
    for (const id of ids) {
      const w = wfById.get(id);
      if (w?.status !== 'COMPLETED') {
        problems.push(`${id}: parent ${w?.status}`);
        continue;
      }
      const rows = tasksOf.get(id) ?? [];
      const join = rows.find((r) => r.t.referenceTaskName === 'join');
      if (Object.keys(join?.t.outputData ?? {}).length !== BRANCHES) problems.push(`${id}: JOIN output has ${Object.keys(join?.t.outputData ?? {}).length} branches`);
      const loop = rows.find((r) => r.t.referenceTaskName === 'loop');
      if (loop?.t.outputData?.iteration !== 3) problems.push(`${id}: loop iteration ${loop?.t.outputData?.iteration}`);
      for (let b = 0; b < BRANCHES; b++) {
        const attempts = rows.filter((r) => r.t.referenceTaskName === `_fan_${b}`);
        const last = attempts[attempts.length - 1];
        if (!last || last.status !== 'COMPLETED') {
          problems.push(`${id} branch ${b}: ${attempts.map((a) => a.status).join(',')}`);
          continue;
        }
        const child = wfById.get(last.t.subWorkflowId);
        if (child?.status !== 'COMPLETED') problems.push(`${id} branch ${b}: child ${last.t.subWorkflowId} ${child?.status}`);
        const want = (ids.indexOf(id) * 10 + b) * 2;
        if (last.t.outputData?.doubled !== want) problems.push(`${id} branch ${b}: output doubled=${last.t.outputData?.doubled}, want ${want}`);
      }
    }
    for (const w of wfs.filter((x) => x.parent_workflow_id)) {
      const parentTask = JSON.parse(w.json).parentWorkflowTaskId;
      if (!childOwners.has(`${w.parent_workflow_id}/${parentTask}/${w.workflow_id}`)) problems.push(`orphan child ${w.workflow_id} (${w.status}) of ${w.parent_workflow_id}`);
    }
    expect(problems).toEqual([]);
    expect([...executions.entries()].filter(([, n]) => n > 1)).toEqual([]);
    process.stdout.write(
      `[crash-cf] seed=${SEED} killAt=${killAt.join(',')} outagesMs=${outages.join(',')} elapsedMs=${Date.now() - t0} workflows=${wfs.length} children=${wfs.filter((w) => w.parent_workflow_id).length} executions=${executions.size}\n`,
    );
  });
});
