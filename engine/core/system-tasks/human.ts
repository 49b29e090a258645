/** HUMAN: not implemented yet. */
import { notImplemented } from './not-implemented';

export const humanTask = notImplemented('HUMAN');
