/** SWITCH: not implemented yet. */
import { notImplemented } from './not-implemented';

export const switchTask = notImplemented('SWITCH');
