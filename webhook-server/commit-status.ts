/**
 * Commit statuses back to GitHub: `pending` once a workflow started, then `success`, `failure`
 * or `error` when it ended, each linking to the run in the UI. The reports to make live in
 * SQLite (deliveries.ts), so a restart resumes watching; the workflow's status is polled with
 * backoff (1 s doubling to 30 s by default).
 */
import { Octokit } from '@octokit/rest';
import type winston from 'winston';
import type { CommitState, DeliveryStore, StatusReport } from './deliveries';
import type { WebhookMetrics } from './metrics';
import type { ConductorPort } from './start-workflows';
import { ConductorError } from './start-workflows';

export interface CommitStatus {
  owner: string;
  repo: string;
  sha: string;
  state: CommitState;
  context: string;
  description: string;
  target_url: string;
}

/** `POST /repos/{owner}/{repo}/statuses/{sha}`; throws with `status` set on an HTTP error. */
export type CommitStatusApi = (s: CommitStatus) => Promise<void>;

/** @octokit/rest with a token, against `apiUrl` (api.github.com, GHES, or a test peer). */
export function octokitStatuses(token: string, apiUrl: string, log?: winston.Logger): CommitStatusApi {
  // octokit's own request log goes to debug: failures are logged once, by the reporter
  const debug = (message: string) => log?.debug(message, { component: 'octokit' });
  const octokit = new Octokit({
    auth: token, baseUrl: apiUrl, userAgent: 'baton-webhook', request: { timeout: 10_000 },
    log: { debug, info: debug, warn: debug, error: debug },
  });
  return async (s) => {
    await octokit.rest.repos.createCommitStatus({ ...s });
  };
}

/** GitHub's state for a terminal Conductor status; null while the run goes on. */
export function commitStateOf(status: string): CommitState | null {
  switch (status) {
    case 'COMPLETED':
      return 'success';
    case 'FAILED':
    case 'TIMED_OUT':
      return 'failure';
    case 'TERMINATED':
      return 'error';
    default:
      return null; // RUNNING, PAUSED
  }
}

/** GitHub keeps 140 characters of a description. */
const clip = (s: string) => (s.length <= 140 ? s : `${s.slice(0, 139)}…`);

export interface ReporterDeps {
  store: DeliveryStore;
  conductor: ConductorPort;
  github: CommitStatusApi;
  uiUrl: string;
  metrics: WebhookMetrics;
  log: winston.Logger;
  now: () => number;
  /** First and longest wait between two looks at a running workflow. @default 1000, 30000 */
  pollMinMs?: number;
  pollMaxMs?: number;
  /** Failed GitHub or Conductor calls of one report before it is given up. @default 20 */
  maxFailures?: number;
}

export function createStatusReporter(deps: ReporterDeps) {
  const minMs = deps.pollMinMs ?? 1000;
  const maxMs = deps.pollMaxMs ?? 30_000;
  const maxFailures = deps.maxFailures ?? 20;
  const backoff = (n: number) => Math.min(minMs * 2 ** n, maxMs);

  async function post(r: StatusReport, state: CommitState, description: string): Promise<boolean> {
    const [owner, repo] = r.repository.split('/');
    try {
      await deps.github({ owner, repo, sha: r.sha, state, context: r.context, description: clip(description), target_url: `${deps.uiUrl}/execution/${r.workflowId}` });
      deps.metrics.commitStatuses.inc({ state, outcome: 'sent' });
      deps.log.info('commit status sent', { workflowId: r.workflowId, repository: r.repository, sha: r.sha, state, context: r.context });
      return true;
    } catch (e) {
      const status = (e as { status?: number }).status;
      // 4xx other than 429 will not get better by asking again (bad token, unknown sha, 1000 statuses)
      const permanent = status !== undefined && status >= 400 && status < 500 && status !== 429;
      const failures = r.failures + 1;
      const giveUp = permanent || failures >= maxFailures;
      deps.metrics.commitStatuses.inc({ state, outcome: giveUp ? 'given_up' : 'retrying' });
      deps.log.log(giveUp ? 'error' : 'warn', giveUp ? 'commit status given up' : 'commit status failed; retrying', {
        workflowId: r.workflowId, repository: r.repository, sha: r.sha, state, httpStatus: status, error: (e as Error).message,
      });
      deps.store.updateReport(r.workflowId, { failures, nextAt: deps.now() + backoff(failures), done: giveUp });
      return false;
    }
  }

  async function step(r: StatusReport): Promise<void> {
    if (r.reported === null) {
      if (!(await post(r, 'pending', `${r.workflowName} running`))) return;
      deps.store.updateReport(r.workflowId, { reported: 'pending', nextAt: deps.now() + backoff(0) });
      return;
    }
    let final = r.final;
    let description = r.description ?? '';
    if (final === null) {
      try {
        const w = await deps.conductor.workflow(r.workflowId);
        final = commitStateOf(w.status);
        if (final === null) {
          deps.store.updateReport(r.workflowId, { checks: r.checks + 1, nextAt: deps.now() + backoff(r.checks + 1) });
          return;
        }
        description = `${r.workflowName} ${w.status}${w.reasonForIncompletion ? `: ${w.reasonForIncompletion}` : ''}`;
      } catch (e) {
        if (e instanceof ConductorError && e.status === 404) {
          final = 'error';
          description = `${r.workflowName}: the run no longer exists`;
        } else {
          const failures = r.failures + 1;
          deps.log.warn('workflow status unavailable', { workflowId: r.workflowId, error: (e as Error).message });
          deps.store.updateReport(r.workflowId, { failures, nextAt: deps.now() + backoff(failures), done: failures >= maxFailures });
          return;
        }
      }
      deps.store.updateReport(r.workflowId, { final, description });
    }
    if (await post({ ...r, final, description }, final, description)) deps.store.updateReport(r.workflowId, { reported: final, done: true });
  }

  let running: Promise<void> | null = null;

  async function pass(): Promise<void> {
    for (const r of deps.store.dueReports(deps.now())) await step(r);
  }

  /** Advances every due report by one step; concurrent calls share one pass. */
  function tick(): Promise<void> {
    if (!running) running = pass().finally(() => (running = null));
    return running;
  }

  return { tick };
}

export type StatusReporter = ReturnType<typeof createStatusReporter>;
