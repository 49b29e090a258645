/**
 * Registers every *.json file of taskdefs/, workflows/ and schedules/ at start-up. A file holds
 * one definition or an array of them. Workflows are registered with overwrite, so re-starting
 * with the same files is idempotent. Schedules are created when missing and otherwise left as
 * they are: a schedule someone paused or resumed through the API keeps that state.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskDef, WorkflowDef } from '../core/model';
import { BatonError, ValidationError } from '../core/errors';
import type { MetadataService } from './metadata';
import type { Scheduler } from './scheduler';
import { scheduleViolations } from '../core/schedule';

export class DefinitionFileError extends Error {}

function readJsonFiles(dir: string): Array<{ file: string; value: unknown }> {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const file = join(dir, f);
      try {
        return { file, value: JSON.parse(readFileSync(file, 'utf8')) };
      } catch (e) {
        throw new DefinitionFileError(`${file}: not valid JSON (${(e as Error).message})`);
      }
    });
}

function explain(file: string, e: unknown): DefinitionFileError {
  if (e instanceof ValidationError) return new DefinitionFileError(`${file}: ${e.violations.map((v) => `${v.path}: ${v.message}`).join('; ')}`);
  if (e instanceof BatonError) return new DefinitionFileError(`${file}: ${e.message}`);
  return new DefinitionFileError(`${file}: ${(e as Error).message}`);
}

export function loadDefinitions(meta: MetadataService, taskDefsDir: string, workflowsDir: string): { taskDefs: number; workflows: number } {
  let taskDefs = 0;
  let workflows = 0;
  for (const { file, value } of readJsonFiles(taskDefsDir)) {
    const defs = (Array.isArray(value) ? value : [value]) as TaskDef[];
    try {
      meta.registerTaskDefs(defs);
    } catch (e) {
      throw explain(file, e);
    }
    taskDefs += defs.length;
  }
  for (const { file, value } of readJsonFiles(workflowsDir)) {
    const defs = (Array.isArray(value) ? value : [value]) as WorkflowDef[];
    for (const d of defs) {
      try {
        meta.registerWorkflowDef(d, true);
      } catch (e) {
        throw explain(file, e);
      }
      workflows++;
    }
  }
  return { taskDefs, workflows };
}

export function loadSchedules(scheduler: Scheduler, dir: string): { created: number; kept: number } {
  let created = 0;
  let kept = 0;
  for (const { file, value } of readJsonFiles(dir)) {
    for (const body of Array.isArray(value) ? value : [value]) {
      try {
        const name = (body as { name?: unknown })?.name;
        const exists = typeof name === 'string' && scheduler.list().some((s) => s.name === name);
        if (exists) {
          // still check the file, so a broken one is reported even when nothing changes
          const v = scheduleViolations(body);
          if (v.length) throw new ValidationError(v);
          kept++;
        } else {
          scheduler.save(body);
          created++;
        }
      } catch (e) {
        throw explain(file, e);
      }
    }
  }
  return { created, kept };
}
