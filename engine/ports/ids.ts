import { randomUUID } from 'node:crypto';

/** Id generation, injected so tests can predict ids. */
export interface Ids {
  newId(): string;
}

export const uuidIds: Ids = { newId: () => randomUUID() };

/** Deterministic ids for tests: prefix-1, prefix-2, ... */
export function sequentialIds(prefix = 'id'): Ids {
  let n = 0;
  return { newId: () => `${prefix}-${++n}` };
}
