/** TERMINATE: not implemented yet. */
import { notImplemented } from './not-implemented';

export const terminateTask = notImplemented('TERMINATE');
