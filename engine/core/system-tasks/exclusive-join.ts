/** EXCLUSIVE_JOIN: not implemented yet. */
import { notImplemented } from './not-implemented';

export const exclusiveJoinTask = notImplemented('EXCLUSIVE_JOIN');
