/** JOIN: not implemented yet. */
import { notImplemented } from './not-implemented';

export const joinTask = notImplemented('JOIN');
