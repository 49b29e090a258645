/**
 * `npm start`: the embedded Conductor-compatible engine on SQLite. Loads .env, validates the
 * configuration, registers taskdefs/ and workflows/, resumes running workflows, serves the API.
 */
import 'dotenv/config';
import { loadConfig, ConfigError } from './config';
import { createBaton } from './server';
import { loadDefinitions, loadSchedules, DefinitionFileError } from './runtime/load-definitions';

async function main(): Promise<void> {
  const t0 = Date.now();
  let config;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(78);
    }
    throw e;
  }
  const baton = createBaton({ config });
  const { log, engine, metadata } = baton;
  try {
    const n = loadDefinitions(metadata, config.taskDefsDir, config.workflowsDir);
    log.info('definitions registered', n);
    if (baton.scheduler) log.info('schedules registered', loadSchedules(baton.scheduler, config.schedulesDir));
  } catch (e) {
    if (e instanceof DefinitionFileError) {
      log.error(`invalid definition file: ${e.message}`);
      await baton.close();
      process.exit(65);
    }
    throw e;
  }
  await baton.ready();
  const resumed = engine.recover();
  const port = await baton.listen();
  log.info('baton engine listening', { url: `http://${config.host}:${port}/api`, db: config.dbPath, resumedWorkflows: resumed, startupMs: Date.now() - t0 });

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    log.info('shutting down', { signal });
    baton.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((e) => {
  process.stderr.write(`baton engine failed to start: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
