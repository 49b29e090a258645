/** DECISION: not implemented yet. */
import { notImplemented } from './not-implemented';

export const decisionTask = notImplemented('DECISION');
