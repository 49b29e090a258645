/**
 * For the crawl tests: run the crawl worker through executeTask on the harness's artifact store
 * with control over what Conductor would supply (task id, workflow id, the previous IN_PROGRESS
 * output, a shutdown signal), run a task through its IN_PROGRESS slices, read JSONL artifacts, and
 * the input that makes the test site's crawl fast (no minimum delay, small backoff and timeouts).
 */
import { join } from 'node:path';
import crawl from '../../../workers/crawl';
import { executeTask } from '../../../workers/runtime/run';
import type { CrawlSite } from '../../fixtures/crawl-site';
import type { Harness, TaskOutcome } from '../harness';

let n = 0;

export interface CrawlTaskOptions {
  taskId?: string;
  workflowId?: string;
  /** The output of the previous IN_PROGRESS report of the same task. */
  previousOutput?: Record<string, unknown>;
  /** Aborts the task as a worker shutdown does. */
  shutdown?: AbortSignal;
}

export async function runCrawl(h: Harness, input: Record<string, unknown>, o: CrawlTaskOptions = {}): Promise<TaskOutcome & { callbackAfterSeconds?: number }> {
  n += 1;
  const task = {
    taskId: o.taskId ?? `crawl-task-${n}`,
    workflowInstanceId: o.workflowId ?? `wf-crawl-${n}`,
    referenceTaskName: 'crawl_ref',
    taskType: 'crawl',
    inputData: input,
    ...(o.previousOutput ? { outputData: o.previousOutput } : {}),
  };
  const r = await executeTask(crawl, task, {
    env: process.env,
    artifacts: h.artifacts,
    workspaceRoot: join(h.root, 'workspace'),
    logSink: async (_taskId, text) => void h.logLines.push(...text.split('\n')),
    shutdown: o.shutdown,
  });
  const output = (r.outputData ?? {}) as TaskOutcome['output'];
  const reason = 'reasonForIncompletion' in r ? r.reasonForIncompletion : undefined;
  const callbackAfterSeconds = 'callbackAfterSeconds' in r ? (r.callbackAfterSeconds as number) : undefined;
  return { status: String(r.status), reasonForIncompletion: reason, output, code: output.error?.code, callbackAfterSeconds };
}

/** Poll one task until it is no longer IN_PROGRESS, as Conductor would; returns every report. */
export async function runSlices(h: Harness, input: Record<string, unknown>, o: CrawlTaskOptions = {}, maxCalls = 30): Promise<TaskOutcome[]> {
  const taskId = o.taskId ?? `crawl-sliced-${++n}`;
  const workflowId = o.workflowId ?? `wf-crawl-sliced-${n}`;
  const reports: TaskOutcome[] = [];
  let previousOutput = o.previousOutput;
  for (let i = 0; i < maxCalls; i++) {
    const r = await runCrawl(h, input, { ...o, taskId, workflowId, previousOutput });
    reports.push(r);
    if (r.status !== 'IN_PROGRESS') return reports;
    previousOutput = r.output;
  }
  throw new Error(`still IN_PROGRESS after ${maxCalls} calls`);
}

export async function readJsonl(h: Harness, ref: unknown): Promise<any[]> {
  return (await h.artifacts.read(ref))
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** Crawl the whole test site quickly: Crawl-delay (50 ms) is the only delay between requests. */
export function siteInput(site: CrawlSite, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    seeds: [`${site.origin}/`],
    limits: { maxPages: 100, maxDepth: 3, requestTimeoutMs: 400, maxRetries: 2, maxBytesPerPage: 200_000, deadlineS: 60 },
    politeness: { minDelayMs: 0, backoffMs: 50, maxBackoffMs: 500 },
    ...extra,
  };
}

/** Paths requested (robots.txt excluded), in order. */
export const pagePaths = (site: CrawlSite): string[] => site.pageRequests().map((r) => r.path);
