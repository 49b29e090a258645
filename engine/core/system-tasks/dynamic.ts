/** DYNAMIC: not implemented yet. */
import { notImplemented } from './not-implemented';

export const dynamicTask = notImplemented('DYNAMIC');
