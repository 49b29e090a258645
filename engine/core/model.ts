/**
 * Conductor's data model, as the wire carries it (field names are Conductor's).
 *
 * Definitions (WorkflowDef, WorkflowTask, TaskDef) are kept as the client sent them plus
 * Conductor's defaults; executions (WorkflowModel, TaskModel) are Baton's stored state, which the
 * API layer serialises into Conductor's `Workflow` and `Task` JSON.
 */
import type { TaskStatus, WorkflowStatus } from './status';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonMap = { [k: string]: unknown };

export interface TaskDef {
  name: string;
  description?: string;
  retryCount?: number;
  timeoutSeconds?: number;
  inputKeys?: string[];
  outputKeys?: string[];
  runtimeMetadata?: string[];
  timeoutPolicy?: 'RETRY' | 'TIME_OUT_WF' | 'ALERT_ONLY';
  retryLogic?: 'FIXED' | 'EXPONENTIAL_BACKOFF' | 'LINEAR_BACKOFF';
  retryDelaySeconds?: number;
  responseTimeoutSeconds?: number;
  concurrentExecLimit?: number | null;
  inputTemplate?: JsonMap;
  rateLimitPerFrequency?: number;
  rateLimitFrequencyInSeconds?: number;
  isolationGroupId?: string;
  executionNameSpace?: string;
  ownerEmail?: string;
  pollTimeoutSeconds?: number | null;
  backoffScaleFactor?: number;
  maxRetryDelaySeconds?: number;
  backoffJitterMs?: number;
  totalTimeoutSeconds?: number;
  createTime?: number;
  updateTime?: number;
  createdBy?: string;
  updatedBy?: string;
  [extra: string]: unknown;
}

export interface WorkflowTask {
  name: string;
  taskReferenceName: string;
  type?: string;
  description?: string;
  inputParameters?: JsonMap;
  optional?: boolean;
  permissive?: boolean;
  startDelay?: number;
  retryCount?: number | null;
  asyncComplete?: boolean;
  taskDefinition?: TaskDef;
  decisionCases?: Record<string, WorkflowTask[]>;
  defaultCase?: WorkflowTask[];
  forkTasks?: WorkflowTask[][];
  loopOver?: WorkflowTask[];
  joinOn?: string[];
  [extra: string]: unknown;
}

export interface WorkflowDef {
  name: string;
  description?: string;
  version?: number;
  tasks: WorkflowTask[];
  inputParameters?: string[];
  outputParameters?: JsonMap;
  failureWorkflow?: string;
  failureWorkflowVersion?: number | null;
  schemaVersion?: number;
  restartable?: boolean;
  ownerEmail?: string;
  timeoutPolicy?: 'TIME_OUT_WF' | 'ALERT_ONLY';
  timeoutSeconds?: number;
  variables?: JsonMap;
  inputTemplate?: JsonMap;
  createTime?: number;
  updateTime?: number;
  [extra: string]: unknown;
}

export interface TaskExecLog {
  log: string;
  taskId: string;
  createdTime: number;
}

/** One attempt of one task in one workflow execution. */
export interface TaskModel {
  taskId: string;
  taskType: string;
  taskDefName: string;
  referenceTaskName: string;
  workflowInstanceId: string;
  workflowType: string;
  correlationId?: string;
  status: TaskStatus;
  inputData: JsonMap;
  outputData: JsonMap;
  seq: number;
  retryCount: number;
  pollCount: number;
  scheduledTime: number;
  startTime: number;
  endTime: number;
  updateTime: number;
  firstScheduledTime: number;
  startDelayInSeconds: number;
  callbackAfterSeconds: number;
  responseTimeoutSeconds: number;
  retriedTaskId?: string;
  retried: boolean;
  executed: boolean;
  reasonForIncompletion?: string;
  workerId?: string;
  domain?: string;
  workflowPriority: number;
  iteration: number;
  subWorkflowId?: string;
  rateLimitPerFrequency: number;
  rateLimitFrequencyInSeconds: number;
  isolationGroupId?: string;
  executionNameSpace?: string;
  /** WAIT: epoch ms at which the task completes by itself (Conductor's waitTimeout); absent = never. */
  waitUntil?: number;
  /** The definition node (with the embedded taskDefinition). */
  workflowTask: WorkflowTask;
  /** Bumped on every stored change; a stale writer loses. */
  version?: number;
}

/** A workflow execution with its tasks in `seq` order. */
export interface WorkflowModel {
  workflowId: string;
  workflowName: string;
  workflowVersion: number;
  status: WorkflowStatus;
  input: JsonMap;
  output: JsonMap;
  variables: JsonMap;
  correlationId?: string;
  priority: number;
  taskToDomain: Record<string, string>;
  createTime: number;
  updateTime: number;
  endTime: number;
  lastRetriedTime: number;
  reasonForIncompletion?: string;
  failedTaskId?: string;
  failedReferenceTaskNames: string[];
  failedTaskNames: string[];
  parentWorkflowId?: string;
  parentWorkflowTaskId?: string;
  reRunFromWorkflowId?: string;
  idempotencyKey?: string;
  createdBy?: string;
  event?: string;
  workflowDefinition: WorkflowDef;
  tasks: TaskModel[];
  /** Bumped on every stored change; used for optimistic checks. */
  version?: number;
}
