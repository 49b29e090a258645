/**
 * Runs a worker definition the way the SDK would, through executeTask, with no Conductor server:
 * a temp directory holds the artifact store, the task workspaces and any project copies, and the
 * task log lines the runtime ships are collected. Also: copies of the sample firmware project
 * and a PlatformIO project for the fake `pio`.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ArtifactStore } from '../../workers/runtime/artifacts';
import type { WorkerDefinition } from '../../workers/runtime/define-worker';
import { executeTask } from '../../workers/runtime/run';

export const FIRMWARE_PROJECT = join(__dirname, '../fixtures/firmware-project');
export const FAKE_PIO = join(__dirname, '../fixtures/fake-pio/pio');

export interface TaskOutcome {
  status: string;
  reasonForIncompletion?: string;
  /** outputData; loosely typed so assertions can read nested fields. */
  output: Record<string, any>;
  /** error.code of a failed task. */
  code?: string;
}

export interface Harness {
  root: string;
  artifacts: ArtifactStore;
  /** Task log lines shipped so far, across tasks. */
  logLines: string[];
  run(def: WorkerDefinition, input: Record<string, unknown>): Promise<TaskOutcome>;
  /** A fresh directory under root. */
  dir(name: string): string;
  cleanup(): void;
}

export function createHarness(): Harness {
  const root = mkdtempSync(join(tmpdir(), 'baton-worker-'));
  const artifacts = new ArtifactStore(join(root, 'artifacts'));
  const logLines: string[] = [];
  let n = 0;
  return {
    root,
    artifacts,
    logLines,
    async run(def, input) {
      n += 1;
      const task = { taskId: `task-${n}`, workflowInstanceId: 'wf-1', taskType: def.taskType, inputData: input };
      const r = await executeTask(def, task, {
        env: process.env,
        artifacts,
        workspaceRoot: join(root, 'workspace'),
        logSink: async (_taskId, text) => void logLines.push(...text.split('\n')),
      });
      const output = (r.outputData ?? {}) as TaskOutcome['output'];
      const reason = 'reasonForIncompletion' in r ? r.reasonForIncompletion : undefined; // absent on IN_PROGRESS results
      return { status: String(r.status), reasonForIncompletion: reason, output, code: output.error?.code };
    },
    dir(name) {
      const d = join(root, name);
      mkdirSync(d, { recursive: true });
      return d;
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** A copy of the sample firmware project (without a build dir someone left in the fixture). */
export function copyFirmwareProject(dest: string): string {
  cpSync(FIRMWARE_PROJECT, dest, { recursive: true, filter: (src) => basename(src) !== 'build' });
  return dest;
}

/** Break src/app.c so that the C compiler reports an `error:`. */
export function breakSource(project: string): void {
  const file = join(project, 'src/app.c');
  writeFileSync(file, `${readFileSync(file, 'utf8')}\nint broken(void) { return }\n`);
}

/** A PlatformIO project for the fake pio: platformio.ini with the given envs, the first default. */
export function pioProject(dir: string, envs = ['esp32dev', 'native']): string {
  mkdirSync(dir, { recursive: true });
  const sections = envs.map((e) => `[env:${e}]\nplatform = ${e === 'native' ? 'native' : 'espressif32'}\n`);
  writeFileSync(join(dir, 'platformio.ini'), `[platformio]\ndefault_envs = ${envs[0]}\n\n${sections.join('\n')}`);
  return dir;
}

/** True once a process has exited (a zombie has exited too; it only waits to be collected). */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] === 'Z';
  } catch {
    return true;
  }
}
