/**
 * The device's `GET /metrics` in the Prometheus text format (version 0.0.4), written by hand:
 * a handful of gauges does not need prom-client's global registry in a test process.
 */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface DeviceMetrics {
  fps: number;
  freeHeapBytes: number;
  uptimeSeconds: number;
  bootCount: number;
  firmware: { version: string; project: string; partition: string; otaState: string; idfVer: string };
  /** OTA attempts by method and result. */
  updates: { method: string; result: string; count: number }[];
}

export function renderMetrics(m: DeviceMetrics): string {
  const out: string[] = [];
  const gauge = (name: string, help: string, value: number): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${value}`);
  };
  gauge('device_fps', 'Frames per second of the main loop.', m.fps);
  gauge('device_free_heap_bytes', 'Free heap in bytes.', m.freeHeapBytes);
  gauge('device_uptime_seconds', 'Seconds since the last boot.', m.uptimeSeconds);
  gauge('device_boot_count', 'Boots since the simulator started.', m.bootCount);
  const f = m.firmware;
  out.push(
    '# HELP device_firmware_info Running firmware; the value is always 1.',
    '# TYPE device_firmware_info gauge',
    `device_firmware_info{${labels({ version: f.version, project: f.project, partition: f.partition, ota_state: f.otaState, idf_ver: f.idfVer })}} 1`,
  );
  out.push('# HELP device_ota_updates_total OTA updates received, by method and result.', '# TYPE device_ota_updates_total counter');
  for (const u of m.updates) out.push(`device_ota_updates_total{${labels({ method: u.method, result: u.result })}} ${u.count}`);
  return out.join('\n') + '\n';
}

function labels(l: Record<string, string>): string {
  return Object.entries(l)
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`)
    .join(',');
}
