/**
 * `npm run webhook`: the GitHub webhook server. Loads .env, validates the configuration and the
 * triggers file (exit 78 with the variable or the file and field at fault), resumes what a
 * previous process left (unfinished starts, pending commit statuses), serves the endpoint.
 */
import 'dotenv/config';
import { ConfigError, loadTriggersFile, loadWebhookConfig } from './config';
import { createWebhookServer } from './app';
import { createWebhookLogger } from './log';
import { TriggersError } from './routing';
import { sdkConductor } from './start-workflows';

async function main(): Promise<void> {
  let config;
  let triggers;
  try {
    config = loadWebhookConfig(process.env);
    triggers = loadTriggersFile(config.triggersPath);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof TriggersError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(78);
    }
    throw e;
  }
  const log = createWebhookLogger(config.logLevel);
  const conductor = await sdkConductor(config.conductor);
  const server = createWebhookServer({ config, triggers, log, conductor });
  const port = await server.listen();
  log.info('baton webhook listening', {
    url: `http://${config.host}:${port}/webhook/github`,
    conductor: config.conductor.serverUrl,
    routes: triggers.routes.map((r) => r.name),
    commitStatuses: config.github ? config.github.apiUrl : 'off (GITHUB_TOKEN unset)',
    db: config.dbPath,
  });

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    log.info('shutting down', { signal });
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((e) => {
  process.stderr.write(`baton webhook failed to start: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
