/** EVENT: not implemented yet. */
import { notImplemented } from './not-implemented';

export const eventTask = notImplemented('EVENT');
