/**
 * Execution state → Conductor's wire JSON (`Task`, `Workflow`), with Jackson's conventions:
 * null bean fields omitted, primitives always present, computed getters included.
 */
import type { TaskModel, WorkflowModel } from './model';
import { taskDefOf } from './task-factory';

type Obj = Record<string, unknown>;

function compact(o: Obj): Obj {
  for (const k of Object.keys(o)) if (o[k] === undefined || o[k] === null) delete o[k];
  return o;
}

export function taskToJson(t: TaskModel): Obj {
  const queueWaitTime = t.startTime > 0 && t.scheduledTime > 0 ? t.startTime - t.scheduledTime : 0;
  return compact({
    taskType: t.taskType,
    status: t.status,
    inputData: t.inputData ?? {},
    referenceTaskName: t.referenceTaskName,
    retryCount: t.retryCount,
    seq: t.seq,
    correlationId: t.correlationId,
    pollCount: t.pollCount,
    taskDefName: t.taskDefName,
    scheduledTime: t.scheduledTime,
    startTime: t.startTime,
    endTime: t.endTime,
    updateTime: t.updateTime,
    startDelayInSeconds: t.startDelayInSeconds,
    retriedTaskId: t.retriedTaskId,
    retried: t.retried,
    executed: t.executed,
    callbackFromWorker: true,
    responseTimeoutSeconds: t.responseTimeoutSeconds,
    workflowInstanceId: t.workflowInstanceId,
    workflowType: t.workflowType,
    taskId: t.taskId,
    reasonForIncompletion: t.reasonForIncompletion,
    callbackAfterSeconds: t.callbackAfterSeconds,
    workerId: t.workerId,
    outputData: t.outputData ?? {},
    workflowTask: t.workflowTask,
    domain: t.domain,
    rateLimitPerFrequency: t.rateLimitPerFrequency,
    rateLimitFrequencyInSeconds: t.rateLimitFrequencyInSeconds,
    workflowPriority: t.workflowPriority,
    iteration: t.iteration,
    subWorkflowId: t.subWorkflowId,
    subworkflowChanged: false,
    firstStartTime: 0,
    executionNameSpace: t.executionNameSpace,
    isolationGroupId: t.isolationGroupId,
    queueWaitTime,
    loopOverTask: t.iteration > 0,
    taskDefinition: taskDefOf(t.workflowTask),
  });
}

export function workflowToJson(wf: WorkflowModel, includeTasks = true): Obj {
  return compact({
    createTime: wf.createTime,
    updateTime: wf.updateTime,
    createdBy: wf.createdBy,
    status: wf.status,
    startTime: wf.createTime,
    endTime: wf.endTime,
    workflowId: wf.workflowId,
    parentWorkflowId: wf.parentWorkflowId,
    parentWorkflowTaskId: wf.parentWorkflowTaskId,
    tasks: includeTasks ? [...wf.tasks].sort((a, b) => a.seq - b.seq).map(taskToJson) : [],
    input: wf.input ?? {},
    output: wf.output ?? {},
    correlationId: wf.correlationId,
    reRunFromWorkflowId: wf.reRunFromWorkflowId,
    reasonForIncompletion: wf.reasonForIncompletion,
    event: wf.event,
    taskToDomain: wf.taskToDomain ?? {},
    failedReferenceTaskNames: wf.failedReferenceTaskNames ?? [],
    failedTaskNames: wf.failedTaskNames ?? [],
    workflowDefinition: wf.workflowDefinition,
    priority: wf.priority,
    variables: wf.variables ?? {},
    lastRetriedTime: wf.lastRetriedTime,
    history: [],
    idempotencyKey: wf.idempotencyKey,
    workflowName: wf.workflowName,
    workflowVersion: wf.workflowVersion,
  });
}
