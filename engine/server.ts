/**
 * Composition root: wires store, clock, ids, timers, engine, metrics, logs and HTTP into one
 * Baton server. `main.ts` runs it; tests create it on an ephemeral port.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type winston from 'winston';
import { SqliteStore } from './adapters/sqlite/sqlite-store';
import { Engine } from './runtime/engine';
import { MetadataService } from './runtime/metadata';
import { realTimers, type Timers } from './runtime/timers';
import { SystemTaskRunner } from './runtime/system-task-runner';
import { EXECUTORS } from './runtime/executors';
import { EventProcessor } from './runtime/event-processor';
import { Scheduler } from './runtime/scheduler';
import { parseStartRequest } from './api/start-request';
import { loadSandbox } from './adapters/sandbox';
import { systemClock, type Clock } from './ports/clock';
import { uuidIds, type Ids } from './ports/ids';
import { createApiServer } from './api/app';
import { createMetrics } from './observability/metrics';
import { createLogger, logEngineEvents } from './observability/logger';
import type { Config } from './config';

export interface BatonServer {
  engine: Engine;
  metadata: MetadataService;
  /** Undefined when BATON_SCHEDULER_ENABLED=false. */
  scheduler?: Scheduler;
  app: ReturnType<typeof createApiServer>;
  log: winston.Logger;
  /** Resolves once the script and jq sandboxes have loaded (WASM); decide needs them. */
  ready(): Promise<void>;
  /** Listen (after `ready`); resolves with the bound port. */
  listen(port?: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

export interface CreateOptions {
  config: Config;
  clock?: Clock;
  ids?: Ids;
  timers?: Timers;
  log?: winston.Logger;
  /** Hold an exclusive lock on the database file. @default true for files */
  exclusive?: boolean;
}

export function createBaton(o: CreateOptions): BatonServer {
  const log = o.log ?? createLogger({ level: o.config.logLevel });
  const store = new SqliteStore({ path: o.config.dbPath, exclusive: o.exclusive ?? o.config.dbPath !== ':memory:' });
  const engine = new Engine({ store, clock: o.clock ?? systemClock, ids: o.ids ?? uuidIds, timers: o.timers ?? realTimers, env: o.config.env });
  const metadata = new MetadataService(engine, o.config.env, o.config.ownerEmailMandatory);
  const runner = new SystemTaskRunner(engine, EXECUTORS, o.timers ?? realTimers);
  runner.start();
  const eventProcessor = new EventProcessor(engine, log);
  eventProcessor.start();
  const scheduler = o.config.schedulerEnabled
    ? new Scheduler(engine, o.timers ?? realTimers, { toStartRequest: (m, prefix) => parseStartRequest(m, o.config.env, prefix), log })
    : undefined;
  const metrics = createMetrics(engine.bus, store, () => engine.clock.now());
  logEngineEvents(engine.bus, log);
  const app = createApiServer({ engine, metadata, env: o.config.env, bodyLimit: o.config.bodyLimit, metrics, log, scheduler, auth: o.config.auth, ui: o.config.ui });
  let loading: Promise<void> | undefined;
  const ready = () =>
    (loading ??= loadSandbox({ timeoutMs: o.config.scriptTimeoutMs, memoryBytes: o.config.scriptMemoryBytes }).then((sb) => {
      engine.setSandbox(sb);
      scheduler?.start(); // a firing decides the new workflow, which may need the sandbox
    }));
  let server: Server | undefined;
  const sockets = new Set<import('node:net').Socket>();
  return {
    engine,
    metadata,
    scheduler,
    app,
    log,
    ready,
    async listen(port = o.config.port, host = o.config.host) {
      await ready();
      return new Promise((resolve, reject) => {
        server = app.listen(port, host);
        server.keepAliveTimeout = 65_000;
        server.on('connection', (s) => {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
        });
        server.once('error', reject);
        server.once('listening', () => resolve((server!.address() as AddressInfo).port));
      });
    },
    async close() {
      scheduler?.stop();
      runner.stop();
      eventProcessor.stop();
      engine.stop();
      if (server) {
        await new Promise<void>((resolve) => {
          server!.close(() => resolve());
          for (const s of sockets) s.destroy();
        });
      }
      store.close();
    },
  };
}
