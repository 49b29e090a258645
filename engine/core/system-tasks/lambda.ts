/** LAMBDA: not implemented yet. */
import { notImplemented } from './not-implemented';

export const lambdaTask = notImplemented('LAMBDA');
