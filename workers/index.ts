/** Every worker Baton ships, by task type. `npm run workers` runs them (or those in WORKERS). */
import type { WorkerDefinition } from './runtime/define-worker';
import compile from './compile';
import test from './test';
import otaDeploy from './ota_deploy';
import verifyDevice from './verify_device';
import rollback from './rollback';

export const ALL_WORKERS: WorkerDefinition[] = [compile, test, otaDeploy, verifyDevice, rollback];

/** The workers named in a WORKERS value ("all" or comma-separated task types); unknown names are an error. */
export function selectWorkers(spec: string): WorkerDefinition[] {
  if (spec.trim() === '' || spec.trim() === 'all') return ALL_WORKERS;
  const wanted = spec.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = wanted.filter((w) => !ALL_WORKERS.some((d) => d.taskType === w));
  if (unknown.length) throw new Error(`WORKERS names unknown task types: ${unknown.join(', ')} (known: ${ALL_WORKERS.map((d) => d.taskType).join(', ')})`);
  return ALL_WORKERS.filter((d) => wanted.includes(d.taskType));
}
