/**
 * The system-task table: task type → its implementation, one file per type in this folder
 * (interface in system-task.ts). The decider consults it to create (schedule) and advance
 * (execute) every node no worker runs.
 */
import type { SystemTask } from './system-task';
import { switchTask } from './switch';
import { decisionTask } from './decision';
import { forkTask } from './fork';
import { joinTask } from './join';
import { exclusiveJoinTask } from './exclusive-join';
import { dynamicForkTask } from './dynamic-fork';
import { doWhileTask } from './do-while';
import { subWorkflowTask } from './sub-workflow';
import { startWorkflowTask } from './start-workflow';
import { terminateTask } from './terminate';
import { waitTask } from './wait';
import { humanTask } from './human';
import { inlineTask } from './inline';
import { lambdaTask } from './lambda';
import { setVariableTask } from './set-variable';
import { jqTransformTask } from './jq-transform';
import { httpTask } from './http';
import { dynamicTask } from './dynamic';
import { noopTask } from './noop';
import { eventTask } from './event';

export type { SystemTask, SystemTaskContext, SystemDeps, ChildState, ScheduleOptions } from './system-task';

export const SYSTEM_TASKS: Partial<Record<string, SystemTask>> = {
  SWITCH: switchTask,
  DECISION: decisionTask,
  FORK_JOIN: forkTask,
  JOIN: joinTask,
  EXCLUSIVE_JOIN: exclusiveJoinTask,
  FORK_JOIN_DYNAMIC: dynamicForkTask,
  DO_WHILE: doWhileTask,
  SUB_WORKFLOW: subWorkflowTask,
  START_WORKFLOW: startWorkflowTask,
  TERMINATE: terminateTask,
  WAIT: waitTask,
  HUMAN: humanTask,
  INLINE: inlineTask,
  LAMBDA: lambdaTask,
  SET_VARIABLE: setVariableTask,
  JSON_JQ_TRANSFORM: jqTransformTask,
  HTTP: httpTask,
  DYNAMIC: dynamicTask,
  NOOP: noopTask,
  EVENT: eventTask,
  // The instance a FORK_JOIN / FORK_JOIN_DYNAMIC node becomes (created COMPLETED).
  FORK: forkTask,
};

/** The implementation for an instance or node type, if it is a system type. */
export const systemTaskFor = (type: string): SystemTask | undefined => SYSTEM_TASKS[type];
