/** WAIT: not implemented yet. */
import { notImplemented } from './not-implemented';

export const waitTask = notImplemented('WAIT');
