/**
 * Runs lora_train the way Conductor drives a long task, through executeTask: each call is one
 * poll; an IN_PROGRESS result's output comes back as the next call's previousOutput (the same
 * task), or not at all (a retried task / a restarted worker). No Conductor server: a temp dir holds
 * the artifact store and the workspaces; task log lines are collected.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactStore, type ArtifactRef } from '../../../workers/runtime/artifacts';
import type { WorkerDefinition } from '../../../workers/runtime/define-worker';
import { executeTask } from '../../../workers/runtime/run';

export interface Outcome {
  status: string;
  reason?: string;
  output: Record<string, any>;
  code?: string;
  /** Task log lines of this call. */
  log: string[];
}

export interface MlHarness {
  root: string;
  workspaceRoot: string;
  artifacts: ArtifactStore;
  env: Record<string, string | undefined>;
  /** One call; `previous` is the last IN_PROGRESS output of the same task. */
  call(input: Record<string, unknown>, previous?: Record<string, unknown>): Promise<Outcome>;
  /** Call again (as the same task) while IN_PROGRESS, until done or the deadline. */
  untilDone(input: Record<string, unknown>, from: Outcome, deadlineMs?: number): Promise<{ last: Outcome; calls: Outcome[] }>;
  dataset(lines: string[]): Promise<ArtifactRef>;
  cleanup(): void;
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createMlHarness(def: WorkerDefinition, env: Record<string, string | undefined> = {}): MlHarness {
  const root = mkdtempSync(join(tmpdir(), 'baton-ml-'));
  const artifacts = new ArtifactStore(join(root, 'artifacts'));
  const workspaceRoot = join(root, 'workspace');
  const fullEnv = { ...process.env, ...env };
  let n = 0;
  const call = async (input: Record<string, unknown>, previous?: Record<string, unknown>): Promise<Outcome> => {
    n += 1;
    const log: string[] = [];
    const task = { taskId: `task-${n}`, workflowInstanceId: 'wf-ml', taskType: def.taskType, inputData: input, outputData: previous ?? {} };
    const r = await executeTask(def, task, { env: fullEnv, artifacts, workspaceRoot, logSink: async (_id, text) => void log.push(...text.split('\n')) });
    const output = (r.outputData ?? {}) as Record<string, any>;
    return { status: String(r.status), reason: 'reasonForIncompletion' in r ? r.reasonForIncompletion : undefined, output, code: output.error?.code, log };
  };
  return {
    root,
    workspaceRoot,
    artifacts,
    env: fullEnv,
    call,
    async untilDone(input, from, deadlineMs = 60_000) {
      const end = Date.now() + deadlineMs;
      const calls: Outcome[] = [];
      let last = from;
      while (last.status === 'IN_PROGRESS') {
        if (Date.now() > end) throw new Error(`still IN_PROGRESS after ${deadlineMs} ms: ${JSON.stringify(last.output)}`);
        await tick(150); // the poll interval; Conductor would wait callbackAfterSeconds
        last = await call(input, last.output);
        calls.push(last);
      }
      return { last, calls };
    },
    dataset: (lines) => artifacts.putBytes(`${lines.join('\n')}\n`, 'train.jsonl').then(({ path: _p, ...ref }) => ref),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** A small prompt/completion dataset the tiny trainer learns quickly. */
export function qaLines(n = 40): string[] {
  const facts = ['the sky is blue', 'grass is green', 'snow is white', 'coal is black', 'the sun is yellow'];
  return Array.from({ length: n }, (_, i) => JSON.stringify({ prompt: `Fact ${i}?`, completion: facts[i % facts.length] }));
}

export const readText = (p: string) => readFileSync(p, 'utf8');
