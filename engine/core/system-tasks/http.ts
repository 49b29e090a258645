/** HTTP: not implemented yet. */
import { notImplemented } from './not-implemented';

export const httpTask = notImplemented('HTTP');
