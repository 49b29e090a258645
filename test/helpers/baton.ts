/** Start a Baton server in-process on 127.0.0.1 with an ephemeral port and an in-memory database. */
import winston from 'winston';
import { createBaton, type BatonServer } from '../../engine/server';
import { loadConfig } from '../../engine/config';
import type { Clock } from '../../engine/ports/clock';
import type { Timers } from '../../engine/runtime/timers';
import type { Ids } from '../../engine/ports/ids';

export interface TestBaton {
  baton: BatonServer;
  url: string;
  close(): Promise<void>;
}

export const silentLogger = () => winston.createLogger({ silent: true, transports: [new winston.transports.Console()] });

export async function startBaton(o: { clock?: Clock; timers?: Timers; ids?: Ids; env?: Record<string, string>; dbPath?: string } = {}): Promise<TestBaton> {
  const config = loadConfig({ BATON_DB: o.dbPath ?? ':memory:', BATON_LOG_LEVEL: 'error', BATON_PORT: '0', ...(o.env ?? {}) });
  const baton = createBaton({ config, clock: o.clock, timers: o.timers, ids: o.ids, log: silentLogger() });
  const port = await baton.listen(0, '127.0.0.1');
  return { baton, url: `http://127.0.0.1:${port}`, close: () => baton.close() };
}

/** Build an in-process engine without HTTP (for runtime tests). */
export function createTestBaton(o: { clock?: Clock; timers?: Timers; ids?: Ids; env?: Record<string, string> } = {}): BatonServer {
  const config = loadConfig({ BATON_DB: ':memory:', BATON_LOG_LEVEL: 'error', ...(o.env ?? {}) });
  return createBaton({ config, clock: o.clock, timers: o.timers, ids: o.ids, log: silentLogger() });
}
