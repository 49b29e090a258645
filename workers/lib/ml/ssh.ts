/**
 * One SSH connection to a training host with npm ssh2 (reference/worker-domain.md §3.1): key or
 * agent auth, a PINNED host key (the SHA256 fingerprint must match before authentication even
 * starts; there is no trust-on-first-use), keepalive, shell scripts over exec, SFTP transfers.
 *
 * Errors carry lora_train's codes: HOST_KEY_MISMATCH and AUTH_FAILED are terminal;
 * HOST_UNREACHABLE (refused, timed out, keepalive expired, or the connection dropped during an
 * operation, then with details.dropped) and TRANSFER_FAILED are retryable.
 */
import { createHash } from 'node:crypto';
import { Client, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { retryable, terminal, WorkerError } from '../../runtime/errors';

export interface SshTarget {
  host: string;
  /** @default 22 */
  port?: number;
  username: string;
  /** The pinned host key: `SHA256:<base64>` as `ssh-keygen -lf` prints it (padding optional). */
  hostKeySha256: string;
  /** OpenSSH or PEM private key text. */
  privateKey?: string | Buffer;
  passphrase?: string;
  /** An ssh-agent socket (SSH_AUTH_SOCK). */
  agent?: string;
  /** @default 15000 */
  keepaliveIntervalMs?: number;
  /** @default 3 */
  keepaliveCountMax?: number;
  /** For the TCP connect, handshake and auth together. @default 20000 */
  readyTimeoutMs?: number;
}

export interface ShellResult {
  /** null when the command was killed by a signal. */
  code: number | null;
  signal?: string;
  stdout: Buffer;
  stderr: string;
}

/** The OpenSSH fingerprint of a host key blob: `SHA256:` + unpadded base64 of its sha256. */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** `SHA256:abc=`, `sha256:abc` and `abc` are the same pin. */
export function normalizeFingerprint(pin: string): string {
  return `SHA256:${pin.trim().replace(/^sha256:/i, '').replace(/=+$/, '')}`;
}

const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** What a connect failure means for the task. */
export function classifyConnectError(e: unknown, where: string, mismatch?: { expected: string; actual: string }): WorkerError {
  if (e instanceof WorkerError) return e;
  if (mismatch) {
    return terminal('HOST_KEY_MISMATCH', `${where} presented host key ${mismatch.actual}, not the pinned ${mismatch.expected}; refusing to connect`, mismatch);
  }
  const err = e as Error & { level?: string; code?: string };
  const msg = err?.message ?? String(e);
  if (err?.level === 'client-authentication') return terminal('AUTH_FAILED', `${where}: ${msg}`);
  if (/privateKey|private key|passphrase/i.test(msg) && err?.level === undefined) return terminal('AUTH_FAILED', `${where}: the private key cannot be used: ${msg}`);
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const how = code && NET_CODES.has(code) ? code : err?.level === 'client-timeout' ? 'timeout' : (err?.level ?? 'error');
  return retryable('HOST_UNREACHABLE', `${where}: ${msg}`, { reason: how });
}

const dropped = (where: string, what: string, why: string) =>
  retryable('HOST_UNREACHABLE', `the connection to ${where} was lost during ${what}: ${why}`, { dropped: true });

export class SshConnection {
  private closedWith: Error | undefined;
  private readonly waiters = new Set<(e: Error) => void>();
  private sftpP: Promise<SFTPWrapper> | undefined;

  private constructor(
    private readonly conn: Client,
    /** user@host:port, for messages. */
    readonly where: string,
  ) {
    const fail = (e: Error) => {
      this.closedWith ??= e;
      for (const w of this.waiters) w(this.closedWith);
      this.waiters.clear();
    };
    conn.on('error', (e) => fail(e));
    conn.on('close', () => fail(new Error('connection closed')));
  }

  /** Connect, verify the host key against the pin, authenticate. */
  static connect(t: SshTarget, signal?: AbortSignal): Promise<SshConnection> {
    const port = t.port ?? 22;
    const where = `${t.username}@${t.host}:${port}`;
    const expected = normalizeFingerprint(t.hostKeySha256);
    let mismatch: { expected: string; actual: string } | undefined;
    const conn = new Client();
    const cfg: ConnectConfig = {
      host: t.host,
      port,
      username: t.username,
      privateKey: t.privateKey,
      passphrase: t.passphrase,
      agent: t.agent,
      keepaliveInterval: t.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: t.keepaliveCountMax ?? 3,
      readyTimeout: t.readyTimeoutMs ?? 20_000,
      // no hostHash: the verifier gets the raw key blob. Returning false ends the handshake
      // before any authentication, so a wrong host never sees a key or a command.
      hostVerifier: (key: Buffer) => {
        const actual = fingerprint(key);
        if (actual === expected) return true;
        mismatch = { expected, actual };
        return false;
      },
    };
    return new Promise((resolve, reject) => {
      let settled = false;
      const onAbort = () => conn.end();
      const done = (e?: unknown) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (e === undefined) resolve(new SshConnection(conn, where));
        else {
          conn.end();
          reject(classifyConnectError(e, where, mismatch));
        }
      };
      conn.once('ready', () => done());
      conn.on('error', (e) => done(e)); // `on`: a late error with no listener would crash the process
      conn.once('close', () => done(new Error(signal?.aborted ? 'aborted' : 'connection closed before it was ready')));
      if (signal?.aborted) return done(new Error('aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        conn.connect(cfg);
      } catch (e) {
        done(e); // a private key ssh2 cannot parse is thrown here
      }
    });
  }

  /** Reject when the connection goes away before `p` settles. */
  private guard<T>(what: string, timeoutMs: number, start: (resolve: (v: T) => void, reject: (e: unknown) => void) => void): Promise<T> {
    if (this.closedWith) return Promise.reject(dropped(this.where, what, this.closedWith.message));
    return new Promise<T>((resolve, reject) => {
      const onDrop = (e: Error) => finish(() => reject(dropped(this.where, what, e.message)));
      const timer = setTimeout(() => {
        finish(() => reject(dropped(this.where, what, `no answer within ${timeoutMs} ms`)));
        this.conn.end();
      }, timeoutMs);
      let over = false;
      const finish = (f: () => void) => {
        if (over) return;
        over = true;
        clearTimeout(timer);
        this.waiters.delete(onDrop);
        f();
      };
      this.waiters.add(onDrop);
      start(
        (v) => finish(() => resolve(v)),
        (e) => finish(() => reject(e)),
      );
    });
  }

  /**
   * Run a POSIX shell script: `sh -s` with the script on stdin, so the login shell (bash, zsh,
   * fish…) never parses it. No pty: stdout and stderr stay apart, signals reach the process.
   */
  run(script: string, timeoutMs = 60_000): Promise<ShellResult> {
    return this.guard<ShellResult>('a remote command', timeoutMs, (resolve, reject) => {
      this.conn.exec('sh -s', (err, ch) => {
        if (err) return reject(dropped(this.where, 'a remote command', err.message));
        const out: Buffer[] = [];
        const errs: Buffer[] = [];
        let code: number | null = null;
        let signal: string | undefined;
        ch.on('data', (b: Buffer) => out.push(b));
        ch.stderr.on('data', (b: Buffer) => errs.push(b));
        ch.on('exit', (c: number | null, s?: string) => {
          code = c ?? null;
          signal = s ?? undefined;
        });
        ch.on('close', () => resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(errs).toString('utf8') }));
        ch.end(script);
      });
    });
  }

  private sftp(): Promise<SFTPWrapper> {
    this.sftpP ??= this.guard<SFTPWrapper>('opening SFTP', 30_000, (resolve, reject) => {
      this.conn.sftp((err, s) => (err ? reject(retryable('TRANSFER_FAILED', `${this.where}: SFTP: ${err.message}`)) : resolve(s)));
    });
    return this.sftpP;
  }

  private async transfer(what: string, timeoutMs: number, op: (s: SFTPWrapper, cb: (err?: Error | null) => void) => void): Promise<void> {
    const s = await this.sftp();
    await this.guard<void>(what, timeoutMs, (resolve, reject) =>
      op(s, (err) => {
        if (!err) return resolve();
        const code = (err as { code?: unknown }).code;
        reject(retryable('TRANSFER_FAILED', `${what} on ${this.where}: ${err.message}`, { sftpCode: code }));
      }),
    );
  }

  /** Upload a file by SFTP. */
  put(local: string, remote: string, timeoutMs = 600_000): Promise<void> {
    return this.transfer(`upload of ${remote}`, timeoutMs, (s, cb) => s.fastPut(local, remote, cb));
  }

  /** Download a file by SFTP. */
  get(remote: string, local: string, timeoutMs = 600_000): Promise<void> {
    return this.transfer(`download of ${remote}`, timeoutMs, (s, cb) => s.fastGet(remote, local, cb));
  }

  close(): void {
    this.conn.end();
  }
}
