/** FORK_JOIN: not implemented yet. */
import { notImplemented } from './not-implemented';

export const forkTask = notImplemented('FORK_JOIN');
