/**
 * Bringing a finished job's LoRA adapter home: download adapter_model.safetensors and
 * adapter_config.json from the job's output dir, check they are what PEFT writes (the
 * safetensors header parses with offsets inside the file and has lora_A/lora_B tensors; the
 * config is JSON with a rank), and store both in the artifact store.
 * Terminal: ADAPTER_MISSING, ADAPTER_INVALID.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactRef, ArtifactStore } from '../../runtime/artifacts';
import { terminal } from '../../runtime/errors';
import type { JobFiles, JobShell } from './remote-job';
import { parseSafetensorsHeader, SafetensorsError } from './safetensors';

export const ADAPTER_MODEL = 'adapter_model.safetensors';
export const ADAPTER_CONFIG = 'adapter_config.json';

export interface AdapterOutput {
  model: ArtifactRef;
  config: ArtifactRef;
  /** Both files by name: the shape evaluate (local adapters) and deploy_adapter take. */
  files: ArtifactRef[];
  /** The config's main fields. */
  peft: { peft_type?: unknown; r: number; lora_alpha?: unknown; target_modules?: unknown; base_model_name_or_path?: unknown };
  tensors: number;
  dtypes: string[];
}

const ref = (r: ArtifactRef): ArtifactRef => ({ uri: r.uri, sha256: r.sha256, size: r.size, name: r.name });

async function readHeader(path: string): Promise<ReturnType<typeof parseSafetensorsHeader>> {
  const size = (await stat(path)).size;
  const f = await open(path, 'r');
  try {
    const head = Buffer.alloc(Math.min(size, 8));
    await f.read(head, 0, head.length, 0);
    const n = head.length === 8 ? Number(head.readBigUInt64LE(0)) : 0;
    const buf = Buffer.alloc(Math.min(size, 8 + Math.min(n, 100_000_000)));
    await f.read(buf, 0, buf.length, 0);
    return parseSafetensorsHeader(buf, size);
  } finally {
    await f.close();
  }
}

/** Check an adapter already on this machine (the two files in `dir`). */
export async function checkAdapter(dir: string): Promise<Omit<AdapterOutput, 'model' | 'config' | 'files'>> {
  let header;
  try {
    header = await readHeader(join(dir, ADAPTER_MODEL));
  } catch (e) {
    if (e instanceof SafetensorsError) throw terminal('ADAPTER_INVALID', `${ADAPTER_MODEL}: ${e.message}`);
    throw e;
  }
  const names = Object.keys(header.tensors);
  if (!names.some((n) => n.includes('lora_A')) || !names.some((n) => n.includes('lora_B'))) {
    throw terminal('ADAPTER_INVALID', `${ADAPTER_MODEL} has no lora_A/lora_B tensors (it has ${names.slice(0, 5).join(', ') || 'none'})`);
  }
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(await readFile(join(dir, ADAPTER_CONFIG), 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw terminal('ADAPTER_INVALID', `${ADAPTER_CONFIG} is not JSON: ${(e as Error).message}`);
  }
  if (typeof config !== 'object' || config === null || typeof config.r !== 'number') throw terminal('ADAPTER_INVALID', `${ADAPTER_CONFIG} has no numeric r`);
  const { peft_type, r, lora_alpha, target_modules, base_model_name_or_path } = config as AdapterOutput['peft'];
  return {
    peft: { peft_type, r, lora_alpha, target_modules, base_model_name_or_path },
    tensors: names.length,
    dtypes: [...new Set(Object.values(header.tensors).map((t) => t.dtype))],
  };
}

/** Download, check and store the adapter. `present` lists the files the job dir has. */
export async function collectAdapter(sh: JobShell, job: JobFiles, present: string[], localDir: string, artifacts: ArtifactStore): Promise<AdapterOutput> {
  const missing = [ADAPTER_MODEL, ADAPTER_CONFIG].filter((f) => !present.includes(f));
  if (missing.length) throw terminal('ADAPTER_MISSING', `the training command exited 0 but ${job.outputDir} has no ${missing.join(' or ')}`, { missing });
  for (const f of [ADAPTER_MODEL, ADAPTER_CONFIG]) await sh.get(`${job.outputDir}/${f}`, join(localDir, f));
  const checked = await checkAdapter(localDir);
  const model = await artifacts.putFile(join(localDir, ADAPTER_MODEL), ADAPTER_MODEL);
  const config = await artifacts.putFile(join(localDir, ADAPTER_CONFIG), ADAPTER_CONFIG);
  return { model: ref(model), config: ref(config), files: [ref(model), ref(config)], ...checked };
}
