/**
 * CLI for demos: run one simulated ESP32 until Ctrl-C.
 *
 *   npm run build && node dist/tools/device-sim/main.js --password s3cret --version 1.4.1
 *
 * Prints one JSON line with the ports, then a log line per protocol event. Binds 127.0.0.1 on
 * ephemeral ports unless told otherwise; faults can be changed while it runs with
 *   curl -XPOST http://127.0.0.1:<httpPort>/__sim/faults -d '{"unhealthy":true}'
 */
import { parseArgs } from 'node:util';
import { DeviceSimulator, type DeviceSimulatorOptions } from './device-simulator';
import type { SimEvents } from './types';

const USAGE = `usage: device-sim [options]
  --host IP                  bind address (default 127.0.0.1)
  --ota-port N               espota UDP port (default 0 = ephemeral; a real device uses 3232)
  --http-port N              HTTP port (default 0 = ephemeral)
  --password PW              require espota authentication
  --auth md5|sha256          scheme a password-protected device asks for (default sha256)
  --version V --project P    running firmware at power-on (default 1.0.0 / baton-sim)
  --confirm-deadline-s N     roll back a pending image not confirmed in time (default 60)
  --auto-confirm             confirm new images at boot (the Arduino default)
  --reboot-ms N              how long the device is unreachable while rebooting (default 1500)
  --faults JSON              initial faults, e.g. '{"crashOnBoot":true}'`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string' },
      'ota-port': { type: 'string' },
      'http-port': { type: 'string' },
      password: { type: 'string' },
      auth: { type: 'string' },
      version: { type: 'string' },
      project: { type: 'string' },
      'confirm-deadline-s': { type: 'string' },
      'auto-confirm': { type: 'boolean' },
      'reboot-ms': { type: 'string' },
      faults: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.auth && values.auth !== 'md5' && values.auth !== 'sha256') throw new Error(`--auth must be md5 or sha256`);
  const opts: DeviceSimulatorOptions = {
    host: values.host,
    otaPort: num(values['ota-port']),
    httpPort: num(values['http-port']),
    password: values.password,
    auth: values.auth as DeviceSimulatorOptions['auth'],
    version: values.version,
    project: values.project,
    confirmDeadlineMs: values['confirm-deadline-s'] === undefined ? undefined : num(values['confirm-deadline-s'])! * 1000,
    autoConfirm: values['auto-confirm'],
    rebootMs: num(values['reboot-ms']) ?? 1500,
    faults: values.faults ? JSON.parse(values.faults) : undefined,
    log: (line) => console.log(line),
  };
  // Drop undefined keys so the simulator's defaults apply.
  for (const k of Object.keys(opts) as (keyof DeviceSimulatorOptions)[]) if (opts[k] === undefined) delete opts[k];
  const sim = new DeviceSimulator(opts);
  const shown: (keyof SimEvents)[] = ['invitation', 'auth', 'upload:start', 'upload:end', 'pull:start', 'pull:end', 'boot', 'confirm', 'rollback'];
  for (const e of shown) sim.on(e, (p) => console.log(`[device-sim] ${e} ${JSON.stringify(p)}`));
  const ports = await sim.start();
  console.log(JSON.stringify({ ready: true, ...ports }));
  const stop = (): void => {
    void sim.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function num(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`not a number: ${v}`);
  return n;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  console.error(USAGE);
  process.exit(2);
});
