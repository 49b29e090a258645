/**
 * PM2 process file. `npx pm2 start ecosystem.config.js` (after `npm run build`) supervises the
 * embedded engine and the demo workers. With CONDUCTOR_SERVER_URL pointing at a remote Conductor,
 * the embedded engine is left out and the workers talk to that server.
 * Later work adds the pipeline workers, the webhook server and the device simulator.
 */
require('dotenv').config();

const remote = process.env.CONDUCTOR_SERVER_URL && !/\/\/(localhost|127\.0\.0\.1)(:|\/)/.test(process.env.CONDUCTOR_SERVER_URL);
const common = {
  exp_backoff_restart_delay: 200,
  max_restarts: 50,
  kill_timeout: 10_000,
  time: true,
  merge_logs: true,
};

module.exports = {
  apps: [
    ...(remote
      ? []
      : [{ ...common, name: 'baton-engine', script: 'dist/engine/main.js', max_memory_restart: '512M', out_file: 'data/logs/engine.out.log', error_file: 'data/logs/engine.err.log' }]),
    { ...common, name: 'demo-workers', script: 'dist/scripts/demo-workers.js', max_memory_restart: '256M', out_file: 'data/logs/demo-workers.out.log', error_file: 'data/logs/demo-workers.err.log' },
  ],
};
