/** Helpers for tests of prometheus/ and grafana/: metric names in PromQL, and what the processes expose. */
import request from 'supertest';
import { createBaton } from '../../engine/server';
import { loadConfig } from '../../engine/config';
import { silentLogger } from '../helpers/baton';
import { createWorkerMetrics } from '../../workers/runtime/metrics';
import { ALL_WORKERS } from '../../workers';
import { DeviceSimulator } from '../../tools/device-sim/device-simulator';

/** Metric names in PromQL expressions: identifiers followed by `{`, `[` or a space that are not PromQL words. */
export function metricNames(exprs: string[]): Set<string> {
  const words = new Set(['sum', 'by', 'rate', 'increase', 'and', 'or', 'unless', 'on', 'ignoring', 'without', 'histogram_quantile', 'max', 'min', 'avg', 'count', 'topk', 'irate', 'delta', 'abs', 'clamp_min', 'offset', 'bool', 'le', 'vector', 'time', 'label_replace']);
  const out = new Set<string>();
  for (const e of exprs) {
    const stripped = e.replace(/\{[^}]*\}/g, '{}').replace(/"[^"]*"/g, '""').replace(/\[[^\]]*\]/g, '[]').replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
    for (const m of stripped.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)) {
      if (!words.has(m[1]) && !/^\d/.test(m[1]) && m[1] !== 'up') out.add(m[1]);
    }
  }
  return out;
}

/** A worker process's metrics with every worker's declared gauges, as `npm run workers` starts it. */
async function workerMetrics(): Promise<string> {
  const m = createWorkerMetrics();
  for (const d of ALL_WORKERS) for (const g of d.gauges ?? []) m.declareGauge(g.name, g.help, g.labelNames);
  return m.registry.metrics();
}

/**
 * Every metric family a running engine, a worker process and a device expose (histograms also as
 * their _bucket/_count/_sum series): scraped from real /metrics endpoints.
 */
export async function exposedMetricFamilies(extra: string[] = []): Promise<Set<string>> {
  const baton = createBaton({ config: loadConfig({ BATON_DB: ':memory:', BATON_LOG_LEVEL: 'error' }), log: silentLogger() });
  const sim = new DeviceSimulator();
  const device = await sim.start();
  try {
    await baton.ready();
    const exposed = [
      (await request(baton.app).get('/metrics')).text,
      await workerMetrics(),
      await (await fetch(`${device.baseUrl}/metrics`)).text(),
      ...extra,
    ].join('\n');
    return new Set([...exposed.matchAll(/^# TYPE (\S+) (\w+)/gm)].flatMap((m) => (m[2] === 'histogram' ? [m[1], `${m[1]}_bucket`, `${m[1]}_count`, `${m[1]}_sum`] : [m[1]])));
  } finally {
    await sim.stop();
    await baton.close();
  }
}
