/** Every worker Baton ships, by task type. `npm run workers` runs them (or those in WORKERS). */
import type { WorkerDefinition } from './runtime/define-worker';
import compile from './compile';
import test from './test';
import otaDeploy from './ota_deploy';
import verifyDevice from './verify_device';
import rollback from './rollback';
import collectMisses from './collect_misses';
import prepareDataset from './prepare_dataset';
import loraTrain from './lora_train';
import crawl from './crawl';
import evaluate from './evaluate';
import deployAdapter from './deploy_adapter';
import backupAdapters from './backup_adapters';
import publishArtifact from './publish_artifact';
// registers the tiny-lora local model, so evaluate can score lora_train's local adapters
import './lib/ml/tiny-lora-model';

export const FIRMWARE_WORKERS: WorkerDefinition[] = [compile, test, otaDeploy, verifyDevice, rollback];
export const ML_WORKERS: WorkerDefinition[] = [collectMisses, prepareDataset, loraTrain, crawl, publishArtifact, evaluate, deployAdapter, backupAdapters];
export const ALL_WORKERS: WorkerDefinition[] = [...FIRMWARE_WORKERS, ...ML_WORKERS];

/** The workers named in a WORKERS value ("all" or comma-separated task types); unknown names are an error. */
export function selectWorkers(spec: string): WorkerDefinition[] {
  if (spec.trim() === '' || spec.trim() === 'all') return ALL_WORKERS;
  const wanted = spec.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = wanted.filter((w) => !ALL_WORKERS.some((d) => d.taskType === w));
  if (unknown.length) throw new Error(`WORKERS names unknown task types: ${unknown.join(', ')} (known: ${ALL_WORKERS.map((d) => d.taskType).join(', ')})`);
  return ALL_WORKERS.filter((d) => wanted.includes(d.taskType));
}
