/**
 * Opt-in strict check of definition files, beyond what Conductor rejects at registration:
 * a FORK_JOIN not followed by a JOIN, joinOn refs that do not exist, a SUB_WORKFLOW without a
 * name or naming a workflow not among the files, INLINE scripts and loop conditions that do not
 * parse, jq queries that do not compile, a SIMPLE task with no task definition among the files.
 *
 *   npm run lint:defs                 # taskdefs/ and workflows/
 *   npm run lint:defs -- DIR_OR_FILE… # other files
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { lintWorkflowDef, validateTaskDef, validateWorkflowDef } from '../engine/core/validation';
import type { TaskDef, WorkflowDef } from '../engine/core/model';
import { loadSandbox } from '../engine/adapters/sandbox';

function jsonFiles(p: string): string[] {
  if (!statSync(p).isDirectory()) return [p];
  return readdirSync(p).filter((f) => f.endsWith('.json')).sort().map((f) => join(p, f));
}

async function main(): Promise<number> {
  const { scripts, jq } = await loadSandbox();
  const args = process.argv.slice(2);
  const files = (args.length ? args : ['taskdefs', 'workflows']).flatMap(jsonFiles);
  const taskDefs: TaskDef[] = [];
  const workflows: Array<{ file: string; def: WorkflowDef }> = [];
  let problems = 0;
  const report = (file: string, msg: string) => {
    problems++;
    console.log(`${file}: ${msg}`);
  };
  for (const file of files) {
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      report(file, `not valid JSON: ${(e as Error).message}`);
      continue;
    }
    for (const d of Array.isArray(value) ? value : [value]) {
      if (d && typeof d === 'object' && 'tasks' in d) workflows.push({ file, def: d as WorkflowDef });
      else {
        for (const v of validateTaskDef(d)) report(file, `${v.path}: ${v.message}`);
        taskDefs.push(d as TaskDef);
      }
    }
  }
  const known = new Set(taskDefs.map((t) => t.name));
  const knownWorkflows = new Set(workflows.map((w) => w.def.name));
  const checkScript = (src: string) => scripts.syntaxError(src) ?? undefined;
  for (const { file, def } of workflows) {
    for (const v of validateWorkflowDef(def, { checkScript })) report(file, `${v.path}: ${v.message}`);
    for (const v of lintWorkflowDef(def, known, { knownWorkflows, scripts, jq })) report(file, `lint ${v.path}: ${v.message}`);
  }
  console.log(`${files.length} files, ${taskDefs.length} task definitions, ${workflows.length} workflows, ${problems} problems`);
  return problems ? 1 : 0;
}

main().then((code) => process.exit(code));
