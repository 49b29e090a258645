/** INLINE: not implemented yet. */
import { notImplemented } from './not-implemented';

export const inlineTask = notImplemented('INLINE');
