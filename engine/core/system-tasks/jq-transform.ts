/** JSON_JQ_TRANSFORM: not implemented yet. */
import { notImplemented } from './not-implemented';

export const jqTransformTask = notImplemented('JSON_JQ_TRANSFORM');
