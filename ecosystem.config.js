/**
 * PM2 process file: the whole system on one machine. `npm start` runs it in the foreground with
 * pm2-runtime (Ctrl-C stops everything); `npx pm2 start ecosystem.config.js` runs it as a daemon
 * (`npm run status`, `npm run logs`, `npm run stop`). Build first (`npm run build`; npm start does).
 *
 *   baton-engine     the embedded Conductor-compatible engine, unless CONDUCTOR_SERVER_URL names
 *                    another host (then everything below talks to that server instead)
 *   workers-build    compile + test: CPU-heavy, in their own process so they cannot starve the
 *                    pollers of the device workers
 *   workers-device   ota_deploy, verify_device, rollback
 *   workers-ml       the nightly ML pipeline: collect_misses, prepare_dataset, lora_train, crawl,
 *                    publish_artifact, evaluate, deploy_adapter, backup_adapters
 *   baton-webhook    the GitHub webhook server
 *   device-sim       a simulated ESP32 for the demo (BATON_DEMO_DEVICE=false leaves it out)
 *
 * Ports: BATON_PORT (8080), WORKERS_BUILD_METRICS_PORT (9464), WORKERS_DEVICE_METRICS_PORT (9465),
 * WORKERS_ML_METRICS_PORT (9466),
 * WEBHOOK_PORT (3000), DEMO_DEVICE_HTTP_PORT (8266), DEMO_DEVICE_OTA_PORT (3232); logs and the
 * generated local secrets live in BATON_DATA_DIR (./data).
 *
 * Restarts back off exponentially; a process over its memory limit is restarted; logs go to
 * data/logs with timestamps; SIGINT gives each process kill_timeout to finish in-flight work.
 */
const { randomBytes } = require('node:crypto');
const { existsSync, mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
require('dotenv').config({ path: join(__dirname, '.env') });

const env = process.env;
const serverUrl = env.CONDUCTOR_SERVER_URL || `http://127.0.0.1:${env.BATON_PORT || 8080}/api`;
const remote = !/\/\/(localhost|127\.0\.0\.1|\[::1\])(:|\/)/.test(serverUrl);
const dataDir = env.BATON_DATA_DIR || join(__dirname, 'data');
mkdirSync(join(dataDir, 'logs'), { recursive: true });

/** A secret kept in data/ for a first run without .env: generated once, readable by the owner only. */
function localSecret(name) {
  const file = join(dataDir, `${name}.secret`);
  if (!existsSync(file)) writeFileSync(file, randomBytes(24).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

const otaPassword = env.OTA_PASSWORD || localSecret('ota-password');
const demoDevice = env.BATON_DEMO_DEVICE !== 'false';
const DEMO_DEVICE_HTTP_PORT = env.DEMO_DEVICE_HTTP_PORT || '8266';
const DEMO_DEVICE_OTA_PORT = env.DEMO_DEVICE_OTA_PORT || '3232';

const common = {
  cwd: __dirname,
  exp_backoff_restart_delay: 200, // 200 ms, doubling up to 15 s, reset after 30 s of uptime
  max_restarts: 1000,
  min_uptime: 5000,
  kill_timeout: 15_000,
  time: true,
  merge_logs: true,
  autorestart: true,
};
const logs = (name) => ({ out_file: join(dataDir, 'logs', `${name}.out.log`), error_file: join(dataDir, 'logs', `${name}.err.log`) });
const workerEnv = { CONDUCTOR_SERVER_URL: serverUrl, OTA_PASSWORD: otaPassword, WORKER_SHUTDOWN_GRACE_MS: '10000' };

module.exports = {
  apps: [
    ...(remote
      ? []
      : [{ ...common, ...logs('engine'), name: 'baton-engine', script: 'dist/engine/main.js', max_memory_restart: '768M', env: { BATON_PORT: new URL(serverUrl).port || '8080' } }]),
    { ...common, ...logs('workers-build'), name: 'workers-build', script: 'dist/workers/main.js', max_memory_restart: '1G', env: { ...workerEnv, WORKERS: 'compile,test', WORKER_METRICS_PORT: env.WORKERS_BUILD_METRICS_PORT || '9464' } },
    { ...common, ...logs('workers-device'), name: 'workers-device', script: 'dist/workers/main.js', max_memory_restart: '512M', env: { ...workerEnv, WORKERS: 'ota_deploy,verify_device,rollback', WORKER_METRICS_PORT: env.WORKERS_DEVICE_METRICS_PORT || '9465' } },
    {
      ...common,
      ...logs('workers-ml'),
      name: 'workers-ml',
      script: 'dist/workers/main.js',
      max_memory_restart: '1G',
      env: { ...workerEnv, WORKERS: 'collect_misses,prepare_dataset,lora_train,crawl,publish_artifact,evaluate,deploy_adapter,backup_adapters', WORKER_METRICS_PORT: env.WORKERS_ML_METRICS_PORT || '9466' },
    },
    {
      ...common,
      ...logs('webhook'),
      name: 'baton-webhook',
      script: 'dist/webhook-server/main.js',
      max_memory_restart: '256M',
      env: { CONDUCTOR_SERVER_URL: serverUrl, GITHUB_WEBHOOK_SECRET: env.GITHUB_WEBHOOK_SECRET || localSecret('webhook') },
    },
    ...(demoDevice
      ? [{
          ...common,
          ...logs('device-sim'),
          name: 'device-sim',
          script: 'dist/tools/device-sim/main.js',
          args: ['--http-port', DEMO_DEVICE_HTTP_PORT, '--ota-port', DEMO_DEVICE_OTA_PORT, '--password', otaPassword, '--reboot-ms', '500'],
          max_memory_restart: '256M',
        }]
      : []),
  ],
};
