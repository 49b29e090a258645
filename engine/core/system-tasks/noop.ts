/** NOOP: not implemented yet. */
import { notImplemented } from './not-implemented';

export const noopTask = notImplemented('NOOP');
