/** START_WORKFLOW: not implemented yet. */
import { notImplemented } from './not-implemented';

export const startWorkflowTask = notImplemented('START_WORKFLOW');
