/**
 * publish_artifact: copy an artifact to a well-known path (atomically: write, then rename), so a
 * later workflow can find "the latest crawl" without knowing tonight's artifact id, e.g.
 * data_crawl publishes its training set where nightly_lora_training reads it.
 */
import { copyFile, mkdir, rename } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { defineWorker } from './runtime/define-worker';
import { ArtifactRefSchema } from './runtime/artifacts';

const Input = z.object({
  artifact: ArtifactRefSchema,
  path: z.string().min(1),
});

export default defineWorker({
  taskType: 'publish_artifact',
  description: 'Copy an artifact to a well-known path, atomically',
  input: Input,
  async run(input, ctx) {
    const src = await ctx.artifacts.resolve(input.artifact, 'artifact');
    const dest = resolve(input.path);
    await mkdir(dirname(dest), { recursive: true });
    const tmp = `${dest}.${randomUUID()}.tmp`;
    await copyFile(src, tmp);
    await rename(tmp, dest);
    ctx.log(`published ${input.artifact.sha256.slice(0, 12)} to ${dest}`);
    return { path: dest, sha256: input.artifact.sha256 };
  },
});
