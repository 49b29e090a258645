/**
 * A throwaway OpenSSH server for the lora_train tests (reference/worker-domain.md §3.3): Debian's
 * /usr/sbin/sshd on 127.0.0.1 at an ephemeral port, a throwaway user (usermod -p '*', since a
 * locked account is refused with UsePAM no), ed25519 host and client keys, all under one temp
 * directory. Needs root (CI runs as root; .ci/run installs openssh-server). cleanup() stops sshd
 * by its pid, kills what the throwaway user still runs (by pid), deletes the user and the dir.
 *
 * The training command the tests run over SSH is the tiny trainer's CLI from dist (npm test builds
 * it first). When the throwaway user cannot read the checkout (a clone under /root, say), the CLI
 * and the node_modules it needs are linked (or copied) into the temp dir instead.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const SSHD = '/usr/sbin/sshd';
const REPO = resolve(__dirname, '../../..');

export interface TestSshd {
  dir: string;
  home: string;
  user: string;
  uid: number;
  port: number;
  /** SHA256:… of the server's host key, as ssh-keygen -lf prints it. */
  hostKeySha256: string;
  /** A fingerprint of another key (for the mismatch test). */
  otherHostKeySha256: string;
  /** Private key files: the authorized one and one the server does not know. */
  clientKey: string;
  wrongKey: string;
  /** node and the tiny trainer's CLI, as the throwaway user can run them. */
  node: string;
  cli: string;
  /** sshd's stderr (LogLevel VERBOSE), line by line. */
  log: string[];
  start(): Promise<void>;
  stop(): Promise<void>;
  /** pids of the processes the throwaway user runs now. */
  userPids(): number[];
  cleanup(): Promise<void>;
}

function run(cmd: string, args: string[], opts: { input?: string } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input: opts.input });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export function fingerprintOfPub(pubLine: string): string {
  const blob = Buffer.from(pubLine.trim().split(/\s+/)[1]!, 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Runtime-ready paths for the user: the checkout's own, or a linked copy in `dir`. */
function runtimeFor(user: string, dir: string): { node: string; cli: string } {
  const cli = join(REPO, 'dist/workers/lib/ml/tiny-lora-cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build first (npm run build; npm test does it)`);
  const probe = (c: string) =>
    spawnSync('runuser', ['-u', user, '--', process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(c)}, require('fs').constants.R_OK); require.resolve('@tensorflow/tfjs', { paths: [${JSON.stringify(dirname(c))}] })`]).status === 0;
  if (spawnSync('runuser', ['-u', user, '--', process.execPath, '--version']).status !== 0) throw new Error(`the throwaway user cannot run ${process.execPath}`);
  if (probe(cli)) return { node: process.execPath, cli };
  // hard links where possible (same filesystem), else a copy: the dist tree and tfjs's dependency closure
  const rt = join(dir, 'rt');
  const copy = (src: string, dest: string) => {
    mkdirSync(dirname(dest), { recursive: true });
    if (spawnSync('cp', ['-rl', src, dest]).status !== 0) run('cp', ['-r', src, dest]);
  };
  copy(join(REPO, 'dist/workers'), join(rt, 'dist/workers'));
  const seen = new Set<string>();
  const walk = (name: string) => {
    const at = join(REPO, 'node_modules', name);
    if (seen.has(name) || !existsSync(at)) return;
    seen.add(name);
    copy(at, join(rt, 'node_modules', name));
    const pkg = JSON.parse(readFileSync(join(at, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const d of Object.keys(pkg.dependencies ?? {})) walk(d);
  };
  walk('@tensorflow/tfjs');
  const copied = join(rt, 'dist/workers/lib/ml/tiny-lora-cli.js');
  if (!probe(copied)) throw new Error(`the throwaway user cannot run the tiny trainer, even from ${rt}`);
  return { node: process.execPath, cli: copied };
}

export async function startTestSshd(): Promise<TestSshd> {
  if (process.getuid?.() !== 0) throw new Error('the lora_train SSH tests create a user and run sshd: they need root (as in CI)');
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: apt-get install openssh-server (.ci/run does)`);
  const dir = mkdtempSync(join(tmpdir(), 'baton-sshd-'));
  chmodSync(dir, 0o755); // the user reaches its home and the authorized_keys file through it
  const user = `bt${randomBytes(4).toString('hex')}`;
  const home = join(dir, 'home');
  mkdirSync(home);
  let child: ChildProcess | undefined;
  const log: string[] = [];
  let created = false;

  const userPids = (uid: number) =>
    readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return new RegExp(`^Uid:\\s+${uid}\\s`, 'm').test(readFileSync(`/proc/${p}/status`, 'utf8'));
        } catch {
          return false;
        }
      })
      .map(Number);

  try {
    run('useradd', ['-M', '-d', home, '-s', '/bin/sh', user]);
    created = true;
    run('usermod', ['-p', '*', user]); // not locked ('!'), yet no password works
    run('chown', [user, home]);
    const uid = Number(run('id', ['-u', user]).trim());
    for (const k of ['host', 'client', 'wrong', 'other']) run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `baton-test-${k}`, '-f', join(dir, `${k}_ed25519`)]);
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_ed25519.pub')));
    const port = await freePort();
    const cfg = join(dir, 'sshd_config');
    writeFileSync(
      cfg,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${join(dir, 'host_ed25519')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'StrictModes no',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'PermitRootLogin no',
        `AllowUsers ${user}`,
        'Subsystem sftp internal-sftp',
        'AcceptEnv BATON_*',
        'LogLevel VERBOSE',
        '',
      ].join('\n'),
    );
    mkdirSync('/run/sshd', { recursive: true }); // privilege separation dir: sshd -t fails without it
    run(SSHD, ['-t', '-f', cfg]);
    const rt = runtimeFor(user, dir);

    const start = () =>
      new Promise<void>((res, rej) => {
        const c = spawn(SSHD, ['-D', '-e', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
        child = c;
        let partial = '';
        const timer = setTimeout(() => rej(new Error(`sshd did not listen within 10 s:\n${log.slice(-10).join('\n')}`)), 10_000);
        c.stderr!.on('data', (b: Buffer) => {
          const parts = (partial + b.toString('utf8')).split('\n');
          partial = parts.pop() ?? '';
          for (const l of parts) {
            log.push(l);
            if (l.includes(`Server listening on 127.0.0.1 port ${port}.`)) {
              clearTimeout(timer);
              res();
            }
          }
        });
        c.once('exit', (code) => {
          clearTimeout(timer);
          rej(new Error(`sshd exited ${code}:\n${log.slice(-10).join('\n')}`));
        });
      });
    const stop = async () => {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    };
    await start();
    const hostKeySha256 = fingerprintOfPub(readFileSync(join(dir, 'host_ed25519.pub'), 'utf8'));
    return {
      dir,
      home,
      user,
      uid,
      port,
      hostKeySha256,
      otherHostKeySha256: fingerprintOfPub(readFileSync(join(dir, 'other_ed25519.pub'), 'utf8')),
      clientKey: join(dir, 'client_ed25519'),
      wrongKey: join(dir, 'wrong_ed25519'),
      ...rt,
      log,
      start,
      stop,
      userPids: () => userPids(uid),
      async cleanup() {
        await stop();
        // what the throwaway user still runs (jobs a failed test left behind), by pid
        const deadline = Date.now() + 5000;
        for (let pids = userPids(uid); pids.length && Date.now() < deadline; pids = userPids(uid)) {
          for (const p of pids) {
            try {
              process.kill(p, 'SIGKILL');
            } catch {
              /* gone */
            }
          }
          await new Promise((r) => setTimeout(r, 50));
        }
        spawnSync('userdel', [user]);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    if (child) child.kill('SIGKILL');
    if (created) spawnSync('userdel', [user]);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
