/**
 * evaluate against a misbehaving model endpoint (tools/model-endpoint fault injection) through
 * executeTask: 429 and 500 are retried, a slow answer times out and is retried, garbage is retried,
 * then retryable when the attempts run out, terminal after N invalid answers in a row; other 4xx
 * and unreachable endpoints. Backoff delays are 1 ms; nothing waits on a clock for an outcome.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import evaluate from '../../../workers/evaluate';
import { ChatClient } from '../../../workers/lib/eval/client';
import { startModelEndpoint, type ModelEndpoint } from '../../../tools/model-endpoint/model-endpoint';
import { createHarness, type Harness } from '../harness';
import { runWithEnv, syntheticSet } from './ml-helpers';

let h: Harness;
let ep: ModelEndpoint;
let env: Record<string, string>;
let dataset: Record<string, unknown>;

beforeAll(async () => {
  h = createHarness();
  const set = syntheticSet(4);
  ep = await startModelEndpoint({ table: set.table, quality: 1, models: ['tiny-base'] });
  env = { EVAL_BASELINE_PATH: h.dir('baselines') };
  dataset = { ...(await h.artifacts.putBytes(set.lines.join('\n'), 'four.jsonl')) };
});
afterAll(async () => {
  await ep.close();
  h.cleanup();
});
beforeEach(() => ep.setFaults({}));

const run = (input: Record<string, unknown> = {}, request: Record<string, unknown> = {}) =>
  runWithEnv(h, evaluate, { dataset, endpoint: { baseUrl: ep.url, model: 'tiny-base' }, concurrency: 1, request: { baseDelayMs: 1, maxDelayMs: 5, ...request }, ...input }, env);
const sinceNow = () => {
  const start = ep.requests.length;
  return () => ep.requests.slice(start);
};

test('a 429 and a 500 are retried and the evaluation completes', async () => {
  ep.setFaults({ status429: 1, status500: 1, retryAfterS: 0 });
  const seen = sinceNow();
  const r = await run();
  expect(r.status).toBe('COMPLETED');
  expect(r.output).toMatchObject({ score: 1, counts: { requests: 6, retries: 2, rateLimited: 1, serverErrors: 1, invalidResponses: 0 } });
  expect(seen().map((q) => q.status)).toEqual([429, 500, 200, 200, 200, 200]);
  expect(h.logLines.some((l) => /MODEL_ENDPOINT_UNAVAILABLE \(HTTP 429 \(rate limited\)\); attempt 2\/4/.test(l))).toBe(true);
});

test('5xx on every attempt → retryable MODEL_ENDPOINT_UNAVAILABLE', async () => {
  ep.setFaults({ status500: Infinity });
  const r = await run({}, { maxAttempts: 3 });
  expect(r).toMatchObject({ status: 'FAILED', code: 'MODEL_ENDPOINT_UNAVAILABLE' });
  expect(r.output.error).toMatchObject({ retryable: true, details: { attempts: 3 } });
  expect(r.reasonForIncompletion).toMatch(/^MODEL_ENDPOINT_UNAVAILABLE: .*HTTP 500.*after 3 attempts/);
});

test('one garbage answer is retried', async () => {
  ep.setFaults({ garbage: 1 });
  const r = await run();
  expect(r.status).toBe('COMPLETED');
  expect(r.output.counts).toMatchObject({ requests: 5, retries: 1, invalidResponses: 1 });
});

test('garbage until the attempts run out → retryable ENDPOINT_INVALID_RESPONSE', async () => {
  ep.setFaults({ garbage: Infinity, garbageKind: 'json' });
  const seen = sinceNow();
  const r = await run({}, { maxAttempts: 2, maxConsecutiveInvalid: 5 });
  expect(r).toMatchObject({ status: 'FAILED', code: 'ENDPOINT_INVALID_RESPONSE' });
  expect(r.output.error.retryable).toBe(true);
  expect(r.reasonForIncompletion).toContain('invalid response: no choices');
  expect(seen()).toHaveLength(2);
});

test('N invalid answers in a row → terminal ENDPOINT_INVALID_RESPONSE (the endpoint is broken, not busy)', async () => {
  ep.setFaults({ garbage: Infinity });
  const seen = sinceNow();
  const r = await run(); // defaults: 4 attempts, terminal at the 3rd invalid answer in a row
  expect(r).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'ENDPOINT_INVALID_RESPONSE' });
  expect(r.output.error.details).toMatchObject({ consecutive: 3 });
  expect(r.reasonForIncompletion).toMatch(/3 invalid responses in a row; last: invalid response: not JSON; body: <html>/);
  expect(seen()).toHaveLength(3);
});

test('invalid answers count across requests until a good one: interleaved with 5xx they still add up', async () => {
  // garbage, 500, garbage, 500 … : never a good answer, so the 3rd invalid one is terminal on attempt 5
  const seen = sinceNow();
  let k = 0;
  const server = http.createServer((_req, res) => {
    k += 1;
    if (k % 2 === 0) res.writeHead(500).end('oops');
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{"choices":[]}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const r = await runWithEnv(h, evaluate, { dataset, endpoint: { baseUrl: url, model: 'm' }, concurrency: 1, request: { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 6 } }, env);
    expect(r).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'ENDPOINT_INVALID_RESPONSE' });
    expect(k).toBe(5);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  expect(seen()).toHaveLength(0);
});

test('a slow answer times out and is retried; slow every time → retryable GENERATION_TIMEOUT', async () => {
  ep.setFaults({ slowMs: 10_000, slowCount: 1 });
  const r = await run({}, { timeoutMs: 150 });
  expect(r.status).toBe('COMPLETED');
  expect(r.output.counts).toMatchObject({ timeouts: 1, retries: 1, requests: 5 });

  ep.setFaults({ slowMs: 10_000 });
  const slow = await run({}, { timeoutMs: 100, maxAttempts: 2 });
  expect(slow).toMatchObject({ status: 'FAILED', code: 'GENERATION_TIMEOUT' });
});

test('an unknown model (404) → terminal ENDPOINT_REJECTED, not retried', async () => {
  const seen = sinceNow();
  const r = await runWithEnv(h, evaluate, { dataset, endpoint: { baseUrl: ep.url, model: 'no-such-model' }, request: { baseDelayMs: 1 } }, env);
  expect(r).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'ENDPOINT_REJECTED' });
  expect(r.reasonForIncompletion).toContain("HTTP 404: {\"error\":{\"message\":\"The model 'no-such-model' does not exist\"");
  expect(seen().length).toBeLessThanOrEqual(4); // one per item in flight, none retried
  expect(seen().every((q) => q.status === 404)).toBe(true);
});

test('nothing listening → retryable MODEL_ENDPOINT_UNAVAILABLE', async () => {
  const gone = await startModelEndpoint({ table: {} });
  const url = gone.url;
  await gone.close();
  const r = await runWithEnv(h, evaluate, { dataset, endpoint: { baseUrl: url, model: 'm' }, request: { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 2 } }, env);
  expect(r).toMatchObject({ status: 'FAILED', code: 'MODEL_ENDPOINT_UNAVAILABLE' });
  expect(r.reasonForIncompletion).toContain('ECONNREFUSED');
});

describe('the client directly', () => {
  test('Retry-After of a 429 is honoured up to the backoff cap; a server ignoring n is asked again', async () => {
    ep.setFaults({ status429: 1, retryAfterS: 3600 });
    const client = new ChatClient({ baseUrl: `${ep.url}/v1`, model: 'tiny-base', baseDelayMs: 1, maxDelayMs: 20 });
    const started = Date.now();
    const r = await client.complete([{ role: 'user', content: 'What is the code word for item 1?' }], { temperature: 0, samples: 1 }, new AbortController().signal);
    expect(Date.now() - started).toBeLessThan(3000); // capped at maxDelayMs, not an hour
    expect(r).toEqual({ texts: ['The Word 1.'], usage: { prompt: 8, completion: 3, total: 11 }, usageEstimated: false });
    expect(client.url).toBe(`${ep.url}/v1/chat/completions`);

    // a server that answers one choice whatever n is
    const one = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ choices: [{ message: { content: `n=${JSON.parse(body).n ?? 1}` } }] })));
    });
    await new Promise<void>((res) => one.listen(0, '127.0.0.1', res));
    try {
      const c2 = new ChatClient({ baseUrl: `http://127.0.0.1:${(one.address() as AddressInfo).port}`, model: 'm' });
      const r2 = await c2.complete([{ role: 'user', content: 'hi there' }], { temperature: 1, samples: 3 }, new AbortController().signal);
      expect(r2.texts).toEqual(['n=3', 'n=2', 'n=1']);
      expect(r2.usageEstimated).toBe(true);
      expect(c2.stats.requests).toBe(3);
    } finally {
      one.closeAllConnections();
      await new Promise((res) => one.close(res));
    }
  });

  test('the task signal aborts a request in flight', async () => {
    ep.setFaults({ slowMs: 10_000 });
    const client = new ChatClient({ baseUrl: ep.url, model: 'tiny-base' });
    const ac = new AbortController();
    const p = client.complete([{ role: 'user', content: 'x' }], { temperature: 0, samples: 1 }, ac.signal);
    const waitForRequest = async () => {
      while (!ep.requests.some((q) => q.fault === 'slow' && q.prompt === 'x')) await new Promise((r) => setImmediate(r));
    };
    await waitForRequest();
    ac.abort(new Error('SHUTDOWN'));
    await expect(p).rejects.toThrow();
    expect(client.stats.timeouts).toBe(0);
  });
});

test('the endpoint control API changes faults at run time', async () => {
  const res = await fetch(`${ep.url}/__control/faults`, { method: 'POST', body: JSON.stringify({ status500: 1 }) });
  expect(res.status).toBe(200);
  const r = await run();
  expect(r.output.counts).toMatchObject({ serverErrors: 1 });
  const stats = (await (await fetch(`${ep.url}/__control/stats`)).json()) as { requests: number };
  expect(stats.requests).toBe(ep.requests.length);
});
