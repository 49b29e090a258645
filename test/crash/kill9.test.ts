/**
 * kill -9 the engine at seeded random moments while 200 five-task workflows run under the
 * official SDK's TaskManager, restart it on the same database and port each time, and check that
 * nothing committed was lost and nothing was completed twice:
 *
 * - every started workflow exists and ends COMPLETED;
 * - per workflow, each of the 5 refs has exactly one COMPLETED attempt, and it is the ref's last
 *   attempt (read from the server's task rows in SQLite after a clean shutdown);
 * - the COMPLETED attempt carries the output its worker produced for that very task id, and the
 *   next ref's input was resolved from it;
 * - no task id was handed to a worker twice.
 *
 * Seed: CRASH_SEED (default below); the kill points are progress counts drawn from it, so a
 * failing seed reproduces the same kill schedule.
 */
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { orkesConductorClient, TaskManager, WorkflowExecutor } from '@io-orkes/conductor-javascript';
import { spawnEngine, type EngineProcess } from '../../bench/lib/engine-process';
import { prng } from '../helpers/prng';

const SEED = Number(process.env.CRASH_SEED ?? 0x5eed_b47);
const WORKFLOWS = 200;
const REFS = ['s1', 's2', 's3', 's4', 's5'];
const KILLS = 4;
const DEADLINE_MS = 120_000;
const TASK = 'crash_step';
const WF = 'crash_five';

jest.setTimeout(DEADLINE_MS + 30_000);

const quiet = { info: () => undefined, error: () => undefined, debug: () => undefined, warn: () => undefined };


interface TaskRow {
  task_id: string;
  workflow_id: string;
  seq: number;
  status: string;
  json: string;
}

describe('kill -9 during a run loses nothing and completes nothing twice', () => {
  let dir: string;
  let dbPath: string;
  let engine: EngineProcess | undefined;
  let manager: TaskManager | undefined;
  const timedOutLogs: string[] = [];
  /** Every engine child not yet exited, so afterAll can kill one caught mid-restart too. */
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
      onLog: (l) => {
        if (l.message === 'task timed out') timedOutLogs.push(String(l.taskId));
      },
    });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'baton-crash-'));
    mkdirSync(join(dir, 'defs'));
    dbPath = join(dir, 'baton.db');
  });

  afterAll(async () => {
    await manager?.stopPolling();
    await engine?.kill9();
    for (const child of children) if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test(`${WORKFLOWS} workflows x ${REFS.length} tasks survive ${KILLS} SIGKILLs (seed ${SEED})`, async () => {
    const rand = prng(SEED);
    const t0 = Date.now();
    engine = await start(0);
    const port = engine.port;
    const url = engine.url;

    const post = async (path: string, body: unknown) => {
      const r = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (!r.ok) throw new Error(`POST ${path}: ${r.status} ${await r.text()}`);
    };
    await post('/api/metadata/taskdefs', [
      { name: TASK, retryCount: 6, retryLogic: 'FIXED', retryDelaySeconds: 0, timeoutPolicy: 'RETRY', timeoutSeconds: 60, responseTimeoutSeconds: 2, ownerEmail: 'crash@example.com' },
    ]);
    await post('/api/metadata/workflow', {
      name: WF,
      version: 1,
      ownerEmail: 'crash@example.com',
      schemaVersion: 2,
      tasks: REFS.map((ref, i) => ({
        name: TASK,
        taskReferenceName: ref,
        type: 'SIMPLE',
        inputParameters: i === 0 ? { n: '${workflow.input.n}' } : { n: '${workflow.input.n}', prev: `\${${REFS[i - 1]}.output.by}` },
      })),
    });

    // ---- progress and the kill schedule -----------------------------------------------------
    // progress = workflows started + task executions; ~1200 events in a run without kills.
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
    const killAt = Array.from({ length: KILLS }, () => 40 + Math.floor(rand() * 1060)).sort((a, b) => a - b);
    // how long the engine stays dead: past responseTimeoutSeconds (2 s) for some kills, so that
    // tasks in flight time out and are retried while their workers' late updates still arrive
    // (the SDK's transport retries refused connections after 1, 2 and 3 s)
    const deadFor = killAt.map(() => Math.floor(rand() * 2600));

    // ---- SDK workers ----------------------------------------------------------------------
    const executions = new Map<string, number>();
    // requests the SDK still has out (a poll or update caught by the shutdown would otherwise sit
    // in the transport's 1-2-3 s retry timers after the test)
    const inFlight = { polls: 0, updates: 0 };
    const client = await orkesConductorClient({ serverUrl: url });
    manager = new TaskManager(
      client,
      [
        {
          taskDefName: TASK,
          execute: async (task) => {
            const id = task.taskId!;
            executions.set(id, (executions.get(id) ?? 0) + 1);
            inFlight.updates++;
            bump();
            // a little simulated work so that several tasks are in flight at every kill
            await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 15)));
            return { status: 'COMPLETED', outputData: { by: id, n: task.inputData?.n } };
          },
        },
      ],
      {
        logger: quiet,
        options: { pollInterval: 5, concurrency: 10, batchPollingTimeout: 500, workerID: 'crash-worker' },
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

    // ---- killer: SIGKILL at each point, restart on the same DB and port -------------------
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

    // ---- start the workflows (5 at a time). The SDK retries refused connections for ~6 s; an
    // outage on a loaded machine can outlast that, so a failed start is sent again with the same
    // idempotency key: a start that did land is returned, not repeated.
    const exec = new WorkflowExecutor(client);
    const ids: string[] = [];
    let next = 0;
    const startOnce = async (n: number): Promise<string> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await exec.startWorkflow({ name: WF, version: 1, input: { n }, correlationId: `crash-${n}`, idempotencyKey: `crash-${n}`, idempotencyStrategy: 'RETURN_EXISTING' } as never);
        } catch (e) {
          if (attempt >= 5) throw e;
        }
      }
    };
    await Promise.all(
      Array.from({ length: 5 }, async () => {
        while (next < WORKFLOWS) {
          const n = next++;
          ids.push(await startOnce(n));
          bump();
        }
      }),
    );
    await killer;

    // ---- wait (poll the API, bounded) until every workflow is terminal -----------------------
    const pending = new Set(ids);
    const statusOf = new Map<string, string>();
    while (pending.size > 0 && Date.now() - t0 < DEADLINE_MS) {
      for (const id of [...pending]) {
        const r = await fetch(`${engine.url}/api/workflow/${id}?includeTasks=false`);
        expect(r.status).toBe(200);
        const wf = (await r.json()) as { status: string };
        if (wf.status !== 'RUNNING' && wf.status !== 'PAUSED') {
          statusOf.set(id, wf.status);
          pending.delete(id);
        }
      }
      if (pending.size > 0) await new Promise((r) => setTimeout(r, 100));
    }
    const elapsed = Date.now() - t0;
    await manager.stopPolling();
    manager = undefined;
    const settle = Date.now() + 10_000;
    while ((inFlight.polls > 0 || inFlight.updates > 0) && Date.now() < settle) await new Promise((r) => setTimeout(r, 20));
    await engine.stop();

    expect(outages).toHaveLength(KILLS);
    expect([...pending]).toEqual([]);
    expect(new Set(ids).size).toBe(WORKFLOWS);
    expect([...statusOf.entries()].filter(([, s]) => s !== 'COMPLETED')).toEqual([]);

    // ---- the server's rows ----------------------------------------------------------------
    const db = new Database(dbPath, { readonly: true });
    const wfRows = db.prepare('SELECT workflow_id, status FROM workflows').all() as Array<{ workflow_id: string; status: string }>;
    const taskRows = db.prepare('SELECT task_id, workflow_id, seq, status, json FROM tasks ORDER BY workflow_id, seq').all() as TaskRow[];
    db.close();

    const wfStatus = new Map(wfRows.map((w) => [w.workflow_id, w.status]));
    for (const id of ids) expect([id, wfStatus.get(id)]).toEqual([id, 'COMPLETED']);
    // a start whose response was lost in a kill and was retried by the SDK leaves an extra
    // workflow nobody holds the id of; workers complete it like any other
    const extra = wfRows.filter((w) => !ids.includes(w.workflow_id));
    expect(extra.filter((w) => w.status !== 'COMPLETED')).toEqual([]);

    const byWf = new Map<string, TaskRow[]>();
    for (const t of taskRows) byWf.set(t.workflow_id, [...(byWf.get(t.workflow_id) ?? []), t]);
    const problems: string[] = [];
    const attemptStatuses: Record<string, number> = {};
    for (const w of wfRows) {
      const rows = (byWf.get(w.workflow_id) ?? []).map((r) => ({ ...r, t: JSON.parse(r.json) as { referenceTaskName: string; outputData?: { by?: string }; inputData?: { prev?: string } } }));
      const completedBy = new Map<string, string>();
      for (const ref of REFS) {
        const attempts = rows.filter((r) => r.t.referenceTaskName === ref);
        const done = attempts.filter((r) => r.status === 'COMPLETED');
        for (const a of attempts) attemptStatuses[a.status] = (attemptStatuses[a.status] ?? 0) + 1;
        if (done.length !== 1) {
          problems.push(`${w.workflow_id} ${ref}: ${done.length} COMPLETED attempts (${attempts.map((a) => a.status).join(',')})`);
          continue;
        }
        const c = done[0];
        if (attempts[attempts.length - 1] !== c) problems.push(`${w.workflow_id} ${ref}: an attempt follows the COMPLETED one`);
        if (c.t.outputData?.by !== c.task_id) problems.push(`${w.workflow_id} ${ref}: COMPLETED ${c.task_id} carries output of ${c.t.outputData?.by}`);
        if (!executions.has(c.task_id)) problems.push(`${w.workflow_id} ${ref}: COMPLETED ${c.task_id} was never executed by a worker`);
        completedBy.set(ref, c.task_id);
      }
      for (let i = 1; i < REFS.length; i++) {
        const c = rows.find((r) => r.t.referenceTaskName === REFS[i] && r.status === 'COMPLETED');
        if (c && c.t.inputData?.prev !== completedBy.get(REFS[i - 1])) problems.push(`${w.workflow_id} ${REFS[i]}: input.prev ${c.t.inputData?.prev} is not ${completedBy.get(REFS[i - 1])}`);
      }
    }
    expect(problems).toEqual([]);
    const twice = [...executions.entries()].filter(([, n]) => n > 1);
    expect(twice).toEqual([]);

    // a line for whoever reads the run (jest shows console output of passing tests too)
    process.stdout.write(
      `[crash] seed=${SEED} killAt=${killAt.join(',')} deadForMs=${deadFor.join(',')} outagesMs=${outages.join(',')} terminalAfterMs=${elapsed} ` +
        `workflows=${wfRows.length} (extra from retried starts: ${extra.length}) executions=${executions.size} attempts=${JSON.stringify(attemptStatuses)} timedOutLogged=${timedOutLogs.length}\n`,
    );
  });
});
