/** FORK_JOIN_DYNAMIC: not implemented yet. */
import { notImplemented } from './not-implemented';

export const dynamicForkTask = notImplemented('FORK_JOIN_DYNAMIC');
