/**
 * The `tiny-lora` local model for evaluate: the tiny trainer's base model with a LoRA adapter
 * from lora_train (adapter_model.safetensors + adapter_config.json), generating greedily.
 * Registered as a loader on import (workers/index.ts imports it), so evaluate itself stays free
 * of model code.
 */
import { readFile } from 'node:fs/promises';
import { registerLocalModelLoader, type LocalModelSpec } from '../eval/local-model';
import { decodeSafetensors } from './safetensors';
import { adapterFromTensors, generateTiny, tinyBaseWeights } from './tiny-lora';

export async function loadTinyLora(spec: LocalModelSpec) {
  const byName = (n: string) => spec.files.find((f) => f.name === n);
  const model = byName('adapter_model.safetensors') ?? spec.files[0];
  const configFile = byName('adapter_config.json');
  if (!model || !configFile) throw new Error('tiny-lora needs adapter_model.safetensors and adapter_config.json');
  const config = JSON.parse(await readFile(configFile.path, 'utf8')) as { r: number; lora_alpha: number; base_model_name_or_path?: string };
  const adapter = adapterFromTensors(decodeSafetensors(await readFile(model.path)).tensors, config);
  const W = tinyBaseWeights(spec.baseModel ?? config.base_model_name_or_path ?? 'tiny-base');
  return {
    generate: async (prompt: string, o: { maxTokens?: number }) => generateTiny(W, adapter, prompt, o.maxTokens ?? 32),
  };
}

registerLocalModelLoader('tiny-lora', loadTinyLora);
