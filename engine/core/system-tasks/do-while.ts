/** DO_WHILE: not implemented yet. */
import { notImplemented } from './not-implemented';

export const doWhileTask = notImplemented('DO_WHILE');
