/**
 * Evaluating a local adapter instead of an HTTP endpoint: evaluate asks a registered loader to
 * turn the adapter artifact into a LocalModel and calls generate() once per sample. Loaders are
 * registered by name (the tiny tfjs LoRA trainer registers one; the lead wires it in), so the
 * evaluate worker does not depend on any model code. No loader under the name asked for →
 * terminal LOCAL_MODEL_UNAVAILABLE.
 */
import type { ArtifactRef } from '../../runtime/artifacts';
import type { ChatMessage } from './dataset';

export interface GenerateOptions {
  temperature: number;
  maxTokens?: number;
  seed?: number;
  /** The item's conversation; `prompt` is its plain-text rendering. */
  messages: readonly ChatMessage[];
  signal: AbortSignal;
}

export interface LocalModel {
  generate(prompt: string, o: GenerateOptions): Promise<string>;
  /** Token counts of a text, when the model has a tokenizer (otherwise whitespace tokens). */
  countTokens?(text: string): number;
  close?(): Promise<void>;
}

export interface LocalModelSpec {
  /** The adapter as the input gave it: one artifact, or lora_train's `{files: [...]}`. */
  adapter: ArtifactRef | { files: ArtifactRef[] };
  /** The adapter's identity (see lib/adapters.ts). */
  adapterSha256: string;
  /** Every file, checked against its sha256, by name. */
  files: { name: string; sha256: string; path: string }[];
  /** A directory holding the files under their names (what PEFT-style loaders open). */
  adapterDir: string;
  /** The one file, or adapter_model.safetensors (else the first file) of several. */
  adapterPath: string;
  /** The base model the adapter applies to, when the input names one. */
  baseModel?: string;
  /** Loader-specific settings from the input, passed through. */
  options: Record<string, unknown>;
  log(line: string): void;
}

export type LocalModelLoader = (spec: LocalModelSpec) => Promise<LocalModel>;

export const DEFAULT_LOCAL_LOADER = 'tiny-lora';

const loaders = new Map<string, LocalModelLoader>();

/** Register (or replace) a loader; returns a function that removes it again. */
export function registerLocalModelLoader(name: string, loader: LocalModelLoader): () => void {
  loaders.set(name, loader);
  return () => {
    if (loaders.get(name) === loader) loaders.delete(name);
  };
}

export function localModelLoader(name: string): LocalModelLoader | undefined {
  return loaders.get(name);
}

export function localModelLoaders(): string[] {
  return [...loaders.keys()];
}
