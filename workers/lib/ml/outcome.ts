/**
 * What a finished training job's exit means (reference/worker-domain.md §4.6): the marker Baton
 * left when it killed the job, `timeout`'s own exit codes (124 after TERM, 137 after KILL) for the
 * wall-time budget, and the log tail's well-known lines for out-of-memory, transient CUDA faults
 * and a LoRA config that does not fit the model. Anything else non-zero is TRAINING_FAILED.
 */
import { retryable, terminal, type WorkerError } from '../../runtime/errors';
import type { JobStatus } from './remote-job';

/** The last non-empty lines of a log (without the wrapper's own `== baton:` lines), joined by ` | `. */
export function lastLines(text: string, n: number): string {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('== baton:'))
    .slice(-n)
    .join(' | ');
}

/** The error for a job that ended other than with exit 0, or undefined when it succeeded. */
export function exitFailure(st: JobStatus, logTail: string, details: Record<string, unknown>): WorkerError | undefined {
  const code = st.exitCode;
  const d = { ...details, exitCode: code };
  if (st.cancelled?.startsWith('budget')) return terminal('BUDGET_EXCEEDED', `the job was killed when its budget was spent (${st.cancelled})`, { ...d, by: st.cancelled.split(': ')[1] });
  if (st.cancelled === 'diverged') return terminal('DIVERGED', 'the job was killed when its loss became NaN or infinite', d);
  if (code === 0 || code === undefined) return undefined;
  const runS = (st.finished ?? st.now) - (st.started ?? st.now);
  // 137 is also what an OOM-killed command gives: only a run that lasted its limit is timeout's
  if (code === 124 || (code === 137 && runS >= (st.limitS ?? Infinity) - 2)) {
    return terminal('BUDGET_EXCEEDED', `the job reached its wall-time limit of ${st.limitS} s on the host and \`timeout\` stopped it (exit ${code})`, { ...d, by: 'wall' });
  }
  const why = lastLines(logTail, 5);
  const withLog = { ...d, logTail };
  if (/CUDA out of memory|OutOfMemoryError/.test(logTail)) return terminal('OOM', `out of GPU memory: ${why}`, withLog);
  if (/CUDA error: (unspecified launch failure|an illegal memory access)|NCCL error/.test(logTail)) return retryable('CUDA_TRANSIENT', `a transient CUDA error: ${why}`, withLog);
  if (/Target modules? .* not found/i.test(logTail)) return terminal('CONFIG_ERROR', why, withLog);
  return terminal('TRAINING_FAILED', `the training command exited ${code}${code > 128 ? ` (signal ${code - 128})` : ''}: ${why}`, withLog);
}
