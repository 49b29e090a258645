/**
 * A local stand-in for GitHub's REST API: `POST /repos/{owner}/{repo}/statuses/{sha}` with the
 * shape GitHub answers (201 and the status), recording every call. Anything else answers 404.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedStatus {
  owner: string;
  repo: string;
  sha: string;
  authorization: string | undefined;
  state: string;
  context: string;
  description: string;
  target_url: string;
}

export interface GitHubPeer {
  url: string;
  statuses: RecordedStatus[];
  /** The next `n` status calls answer `code` (e.g. 500 to test retries, 401 a bad token). */
  failNext(n: number, code: number): void;
  /** Resolves when a recorded status satisfies `pred`, polling every 20 ms until the deadline. */
  waitFor(pred: (s: RecordedStatus[]) => boolean, timeoutMs?: number): Promise<RecordedStatus[]>;
  close(): Promise<void>;
}

export async function startGitHubPeer(): Promise<GitHubPeer> {
  const statuses: RecordedStatus[] = [];
  let failures = { n: 0, code: 500 };
  let nextId = 1;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const m = /^\/repos\/([^/]+)\/([^/]+)\/statuses\/([0-9a-f]{40})$/.exec(req.url ?? '');
      const reply = (code: number, json: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(json));
      };
      if (req.method !== 'POST' || !m) return reply(404, { message: 'Not Found' });
      if (failures.n > 0) {
        failures.n -= 1;
        return reply(failures.code, { message: failures.code === 401 ? 'Bad credentials' : 'Server Error' });
      }
      const b = JSON.parse(body) as Record<string, string>;
      if (!['pending', 'success', 'failure', 'error'].includes(b.state)) return reply(422, { message: 'Validation Failed' });
      const rec: RecordedStatus = {
        owner: m[1], repo: m[2], sha: m[3], authorization: req.headers.authorization,
        state: b.state, context: b.context, description: b.description, target_url: b.target_url,
      };
      statuses.push(rec);
      reply(201, { id: nextId++, state: rec.state, context: rec.context, description: rec.description, target_url: rec.target_url, created_at: new Date().toISOString() });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    statuses,
    failNext: (n, code) => (failures = { n, code }),
    async waitFor(pred, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pred(statuses)) {
        if (Date.now() > deadline) throw new Error(`GitHub peer: condition not met within ${timeoutMs} ms; statuses: ${JSON.stringify(statuses.map((s) => [s.context, s.state]))}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return statuses;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
