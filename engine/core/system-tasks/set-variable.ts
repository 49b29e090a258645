/** SET_VARIABLE: not implemented yet. */
import { notImplemented } from './not-implemented';

export const setVariableTask = notImplemented('SET_VARIABLE');
