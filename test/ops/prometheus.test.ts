/**
 * prometheus/: the config and the alert rules are checked by promtool (Debian's `prometheus`
 * package, installed by .ci/run), the rules' unit tests pass, and every metric an alert rule
 * uses is really exposed by a running engine, worker process or device.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exposedMetricFamilies, metricNames } from './promql';

const DIR = join(__dirname, '../../prometheus');

function promtool(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync('promtool', args, { cwd: DIR, encoding: 'utf8' });
  if (r.error) throw new Error(`promtool is not installed (apt-get install prometheus; .ci/run does): ${r.error.message}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('promtool accepts the config and the rules, and the rule unit tests pass', () => {
  const config = promtool('check', 'config', 'prometheus.yml');
  expect(config.out).toContain('SUCCESS');
  expect(config.status).toBe(0);
  const rules = promtool('check', 'rules', 'alerts.yml');
  expect(rules.status).toBe(0);
  const unit = promtool('test', 'rules', 'alerts.test.yml');
  expect(unit.out).toContain('SUCCESS');
  expect(unit.status).toBe(0);
});

test('every alert rule has a unit test', () => {
  const alerts = [...readFileSync(join(DIR, 'alerts.yml'), 'utf8').matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
  const tested = new Set([...readFileSync(join(DIR, 'alerts.test.yml'), 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]));
  expect(alerts.filter((a) => !tested.has(a))).toEqual([]);
});

test('every metric the alert rules use is exposed by the engine, a worker process or a device', async () => {
  const rules = readFileSync(join(DIR, 'alerts.yml'), 'utf8');
  const exprs = [...rules.matchAll(/expr: \|?\s*\n?([\s\S]*?)\n\s+(?:for|labels):/g)].map((m) => m[1]);
  const used = metricNames(exprs);
  expect(used).toContain("baton_workflows_ended_total"); // the parser finds names at all

  const families = await exposedMetricFamilies();
  expect([...used].filter((n) => !families.has(n))).toEqual([]);
});

test('the devices file lists scrape targets Prometheus can read', () => {
  const devices = JSON.parse(readFileSync(join(DIR, 'devices.json'), 'utf8')) as { targets: string[] }[];
  expect(devices.every((d) => d.targets.every((t) => /^[\w.-]+:\d+$/.test(t)))).toBe(true);
  expect(execFileSync('promtool', ['check', 'config', 'prometheus.yml'], { cwd: DIR, encoding: 'utf8' })).toContain('SUCCESS');
});
