/** SUB_WORKFLOW: not implemented yet. */
import { notImplemented } from './not-implemented';

export const subWorkflowTask = notImplemented('SUB_WORKFLOW');
