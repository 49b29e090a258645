/**
 * grafana/: provisioning points at the datasource the dashboards use, every dashboard is
 * well-formed (unique ids and uids, panels on the grid, a query per panel), and every metric a
 * panel queries is really exposed by a running engine, worker process or device.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exposedMetricFamilies, metricNames } from './promql';

const DIR = join(__dirname, '../../grafana');

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource: { uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets: { expr: string; refId: string }[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; query: { query: string } }[] };
}

const dashboards = readdirSync(join(DIR, 'dashboards'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, d: JSON.parse(readFileSync(join(DIR, 'dashboards', f), 'utf8')) as Dashboard }));

test('the expected dashboards exist, each well-formed', () => {
  expect(dashboards.map((x) => x.d.uid).sort()).toEqual(expect.arrayContaining(['baton-device', 'baton-training', 'baton-workers', 'baton-workflows']));
  expect(new Set(dashboards.map((x) => x.d.uid)).size).toBe(dashboards.length);
  const datasourceUid = /uid: (\S+)/.exec(readFileSync(join(DIR, 'provisioning/datasources/prometheus.yml'), 'utf8'))?.[1];
  for (const { file, d } of dashboards) {
    expect(d.title).toBeTruthy();
    expect(new Set(d.panels.map((p) => p.id)).size).toBe(d.panels.length);
    for (const p of d.panels) {
      expect({ file, panel: p.title, datasource: p.datasource.uid }).toEqual({ file, panel: p.title, datasource: datasourceUid });
      expect(p.targets.length).toBeGreaterThan(0);
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
    }
  }
});

test('the seed runbook panels are there: success rate, p95 duration, active workflows; device FPS and heap', () => {
  const titles = dashboards.flatMap(({ d }) => d.panels.map((p) => p.title.toLowerCase()));
  for (const t of ['success rate', 'p95', 'active workflows', 'fps', 'free heap']) expect(titles.some((x) => x.includes(t))).toBe(true);
});

test('every metric a panel or a variable queries is exposed', async () => {
  const exprs = dashboards.flatMap(({ d }) => [...d.panels.flatMap((p) => p.targets.map((t) => t.expr)), ...d.templating.list.map((v) => v.query.query.replace(/label_values\(([^,]+),[^)]*\)/, '$1'))]);
  const used = metricNames(exprs.map((e) => e.replace(/\$\w+/g, 'x')));
  expect(used).toContain('baton_workflows_ended_total');
  const families = await exposedMetricFamilies();
  expect([...used].filter((n) => !families.has(n))).toEqual([]);
});
