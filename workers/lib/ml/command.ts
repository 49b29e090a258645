/**
 * The training command is an argv template: each word may hold `{placeholders}` that lora_train
 * fills with the job's paths and hyperparameters. Words are passed quoted, never parsed by a
 * shell, so a base model name or a path cannot inject a command.
 */
import { invalidInput } from '../../runtime/errors';

export const PLACEHOLDERS = [
  'jobId',
  'jobDir',
  'dataset',
  'datasetFormat',
  'progress',
  'outputDir',
  'baseModel',
  'maxSteps',
  'lr',
  'batch',
  'seed',
  'r',
  'alpha',
  'dropout',
  'targetModules',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/** Fill every `{name}`; an unknown name is INVALID_INPUT (a typo must not reach the GPU host). */
export function renderCommand(template: readonly string[], vars: Record<Placeholder, string>): string[] {
  return template.map((word, i) =>
    word.replace(/\{([A-Za-z_]+)\}/g, (_, name: string) => {
      if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
        throw invalidInput(`command[${i}]`, `unknown placeholder {${name}} (known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})`);
      }
      return vars[name as Placeholder];
    }),
  );
}
