/** Shared set-up for the OTA tests: a simulator on loopback driven by a fake clock and manual timers. */
import { FakeClock } from '../../../engine/ports/clock';
import { buildEspImage } from '../../../workers/lib/firmware/esp-image';
import { DeviceSimulator, type DeviceSimulatorOptions, type SimPorts } from '../../../tools/device-sim/device-simulator';
import { ManualTimers } from '../../helpers/manual-timers';

export interface SimFixture {
  sim: DeviceSimulator;
  ports: SimPorts;
  clock: FakeClock;
  /** The simulator's timers: restarts, confirm deadlines and crashes happen only on advance(). */
  timers: ManualTimers;
}

export async function startSim(opts: DeviceSimulatorOptions = {}): Promise<SimFixture> {
  const clock = new FakeClock();
  const timers = new ManualTimers(clock);
  const sim = new DeviceSimulator({ clock, timers, ...opts });
  const ports = await sim.start();
  return { sim, ports, clock, timers };
}

/** A valid app image of `size` bytes or a little more (header, descriptor, checksum and SHA256 fixed). */
export function makeImage(version: string, payloadBytes = 4096, project = 'k1'): Buffer {
  const payload = Buffer.alloc(payloadBytes);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + version.length) & 0xff;
  return buildEspImage({ desc: { version, projectName: project }, payload });
}

/** A valid image of exactly `total` bytes (pads the payload until the image has that length). */
export function makeImageOfSize(version: string, total: number): Buffer {
  const overhead = makeImage(version, 0).length;
  for (let p = Math.max(0, total - overhead - 16); p <= total; p++) {
    const img = makeImage(version, p);
    if (img.length === total) return img;
  }
  throw new Error(`no image of exactly ${total} bytes`);
}
