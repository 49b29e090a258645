/**
 * A local OpenAI-compatible model endpoint for tests and demos: POST /v1/chat/completions answers
 * from a lookup table (the last user message → the answer), on 127.0.0.1 and an ephemeral port by
 * default. Everything is deterministic:
 *
 * - `quality` (0..1) makes the model answer exactly round(quality × N) of the table's N prompts
 *   correctly: the prompts are ranked by sha256(seed + prompt), the first ones are right, the rest
 *   get their `wrong` answer (default "I don't know"). A higher quality with the same seed answers
 *   a superset, so a "better" and a "worse" model are one number apart.
 * - An entry's `samples` list overrides that (and is not counted in N): the i-th completion served
 *   for its prompt, over all requests, is samples[i mod len] (for pass@k; the same whether the
 *   client asks n at once or one per request).
 * - Unknown prompts get `fallback`.
 * - usage counts whitespace tokens (prompt: all message contents; completion: all choices).
 *
 * Faults (consumed one per request, in this order): `status429` (with Retry-After
 * `retryAfterS`), `status500`, `garbage` (200 with a non-JSON body, or with `garbageKind: 'json'`
 * a JSON object without choices), then `slowMs` delays the next `slowCount` answers. Counts may be
 * Infinity (-1 from JSON). Change them at run time with setFaults() or POST /__control/faults.
 * GET /__control/stats reports the requests seen.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TableEntry {
  prompt: string;
  answer: string;
  /** What a model that gets this prompt wrong says. @default "I don't know" */
  wrong?: string;
  /** Per-choice answers (cycled) overriding answer/wrong and quality. */
  samples?: string[];
}

export interface Faults {
  status429?: number;
  status500?: number;
  garbage?: number;
  garbageKind?: 'text' | 'json';
  /** Delay of the slow answers. */
  slowMs?: number;
  /** How many answers are slow. @default Infinity when slowMs is set */
  slowCount?: number;
  /** Retry-After of the 429s, seconds. @default 0 */
  retryAfterS?: number;
}

export interface ModelEndpointOptions {
  /** Entries, or a {prompt: answer} map. */
  table: TableEntry[] | Record<string, string>;
  /** Fraction of the table answered correctly. @default 1 */
  quality?: number;
  /** Chooses which prompts a partial-quality model gets right. @default "baton" */
  seed?: string;
  /** The model name reported back; any requested name is accepted unless `models` is set. */
  models?: string[];
  /** Require `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  fallback?: string;
  faults?: Faults;
  host?: string;
  port?: number;
}

export interface RequestRecord {
  at: number;
  status: number;
  model?: string;
  n?: number;
  temperature?: number;
  prompt?: string;
  authorization?: string;
  fault?: string;
}

export interface ModelEndpoint {
  url: string;
  port: number;
  requests: RequestRecord[];
  setFaults(f: Faults): void;
  setQuality(q: number): void;
  /** Whether the current quality answers this prompt correctly. */
  answersCorrectly(prompt: string): boolean;
  close(): Promise<void>;
}

const tokens = (s: string) => s.split(/\s+/).filter(Boolean).length;
const count = (x: number | undefined) => (x === undefined ? 0 : x < 0 ? Infinity : x);

export async function startModelEndpoint(o: ModelEndpointOptions): Promise<ModelEndpoint> {
  const entries: TableEntry[] = Array.isArray(o.table) ? o.table : Object.entries(o.table).map(([prompt, answer]) => ({ prompt, answer }));
  const byPrompt = new Map(entries.map((e) => [e.prompt.trim(), e]));
  const seed = o.seed ?? 'baton';
  // entries with their own samples do not take part in the quality draw
  const graded = [...byPrompt.values()].filter((e) => !e.samples?.length).map((e) => e.prompt.trim());
  const ranked = graded.map((p) => ({ p, h: createHash('sha256').update(`${seed}\n${p}`).digest('hex') })).sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : 0));
  const rank = new Map(ranked.map((r, i) => [r.p, i]));
  let quality = o.quality ?? 1;
  let faults: Faults = { ...o.faults };
  let left = { status429: count(faults.status429), status500: count(faults.status500), garbage: count(faults.garbage), slow: faults.slowMs ? (faults.slowCount === undefined ? Infinity : count(faults.slowCount)) : 0 };
  const requests: RequestRecord[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const setFaults = (f: Faults) => {
    faults = { ...f };
    left = { status429: count(f.status429), status500: count(f.status500), garbage: count(f.garbage), slow: f.slowMs ? (f.slowCount === undefined ? Infinity : count(f.slowCount)) : 0 };
  };
  const correct = (prompt: string) => {
    const r = rank.get(prompt.trim());
    return r !== undefined && r < Math.round(quality * graded.length);
  };
  const served = new Map<string, number>();
  const answer = (prompt: string): string => {
    const e = byPrompt.get(prompt.trim());
    if (!e) return o.fallback ?? "I don't know";
    if (e.samples?.length) {
      // the i-th completion served for this prompt, across requests (n per request or one each)
      const i = served.get(e.prompt) ?? 0;
      served.set(e.prompt, i + 1);
      return e.samples[i % e.samples.length]!;
    }
    return correct(prompt) ? e.answer : (e.wrong ?? "I don't know");
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/html' : 'application/json', ...headers }).end(text);
  };
  const error = (res: http.ServerResponse, status: number, message: string, type: string, headers?: Record<string, string>) =>
    send(res, status, { error: { message, type, param: null, code: null } }, headers);

  function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string) {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/__control/faults' && req.method === 'POST') {
      try {
        setFaults(JSON.parse(raw || '{}') as Faults);
      } catch {
        return error(res, 400, 'faults: not JSON', 'invalid_request_error');
      }
      return send(res, 200, { faults });
    }
    if (url.pathname === '/__control/stats' && req.method === 'GET') return send(res, 200, { requests: requests.length, quality, faults, log: requests.slice(-100) });
    if (url.pathname === '/v1/models' && req.method === 'GET') return send(res, 200, { object: 'list', data: (o.models ?? ['baton-test']).map((id) => ({ id, object: 'model', owned_by: 'baton' })) });
    if (url.pathname !== '/v1/chat/completions') return error(res, 404, `unknown path ${url.pathname}`, 'invalid_request_error');
    if (req.method !== 'POST') return error(res, 405, 'use POST', 'invalid_request_error');

    const rec: RequestRecord = { at: Date.now(), status: 200, authorization: req.headers.authorization };
    requests.push(rec);
    const fail = (status: number, message: string, type: string, fault?: string, headers?: Record<string, string>) => {
      rec.status = status;
      if (fault) rec.fault = fault;
      error(res, status, message, type, headers);
    };
    if (o.apiKey && req.headers.authorization !== `Bearer ${o.apiKey}`) return fail(401, 'Incorrect API key provided', 'invalid_request_error');

    let body: { model?: unknown; messages?: unknown; n?: unknown; temperature?: unknown };
    try {
      body = JSON.parse(raw) as typeof body;
    } catch {
      return fail(400, 'request body is not JSON', 'invalid_request_error');
    }
    const messages = Array.isArray(body.messages) ? (body.messages as { role?: unknown; content?: unknown }[]) : undefined;
    if (!messages || messages.length === 0 || messages.some((m) => typeof m?.content !== 'string')) return fail(400, "'messages' must be a non-empty array of {role, content}", 'invalid_request_error');
    if (typeof body.model !== 'string' || !body.model) return fail(400, "'model' is required", 'invalid_request_error');
    if (o.models && !o.models.includes(body.model)) return fail(404, `The model '${body.model}' does not exist`, 'invalid_request_error');
    const n = body.n === undefined ? 1 : Number(body.n);
    if (!Number.isInteger(n) || n < 1 || n > 128) return fail(400, "'n' must be an integer 1..128", 'invalid_request_error');
    const prompt = [...messages].reverse().find((m) => m.role === 'user')?.content as string | undefined;
    Object.assign(rec, { model: body.model, n, temperature: typeof body.temperature === 'number' ? body.temperature : undefined, prompt });

    if (left.status429 > 0) {
      left.status429 -= 1;
      return fail(429, 'Rate limit reached', 'rate_limit_error', '429', { 'retry-after': String(faults.retryAfterS ?? 0) });
    }
    if (left.status500 > 0) {
      left.status500 -= 1;
      return fail(500, 'The server had an error while processing your request', 'server_error', '500');
    }
    if (left.garbage > 0) {
      left.garbage -= 1;
      rec.fault = 'garbage';
      return faults.garbageKind === 'json' ? send(res, 200, { id: 'x', object: 'chat.completion', result: 'what' }) : send(res, 200, '<html><body>502 Bad Gateway</body></html>');
    }

    const texts = Array.from({ length: n }, () => answer(prompt ?? ''));
    const promptTokens = messages.reduce((a, m) => a + tokens(String(m.content)), 0);
    const completionTokens = texts.reduce((a, t) => a + tokens(t), 0);
    const completion = {
      id: `chatcmpl-${requests.length}`,
      object: 'chat.completion',
      created: Math.floor(rec.at / 1000),
      model: body.model,
      choices: texts.map((content, index) => ({ index, message: { role: 'assistant', content }, finish_reason: 'stop' })),
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    };
    if (left.slow > 0) {
      left.slow -= 1;
      rec.fault = 'slow';
      const t = setTimeout(() => {
        timers.delete(t);
        if (!res.destroyed) send(res, 200, completion);
      }, faults.slowMs);
      timers.add(t);
      res.on('close', () => {
        clearTimeout(t);
        timers.delete(t);
      });
      return;
    }
    send(res, 200, completion);
  }

  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = o.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    requests,
    setFaults,
    setQuality: (q) => void (quality = q),
    answersCorrectly: correct,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
