/**
 * A client for OpenAI-compatible chat completions: POST {baseUrl}/v1/chat/completions with
 * `{model, messages, temperature, max_tokens?, seed?, n?}` (a baseUrl already ending in /v1 is
 * not doubled). Each request has its own timeout; 408, 429, 5xx, network errors, timeouts and
 * invalid bodies are retried with exponential backoff (a 429's Retry-After is honoured up to the
 * backoff cap); other 4xx are the caller's fault and end the task at once.
 *
 * Invalid bodies (not JSON, no choices, no text) are counted across the whole run: each is retried
 * like a transient fault, but `maxConsecutiveInvalid` of them in a row without one good answer in
 * between means the endpoint is broken, not busy → terminal ENDPOINT_INVALID_RESPONSE. When a
 * request runs out of attempts before that, the failure is retryable.
 *
 * Codes: terminal ENDPOINT_AUTH_FAILED (401/403), ENDPOINT_REJECTED (other 4xx),
 * ENDPOINT_INVALID_RESPONSE (N consecutive); retryable MODEL_ENDPOINT_UNAVAILABLE (429/5xx/network
 * after the retries), GENERATION_TIMEOUT, ENDPOINT_INVALID_RESPONSE (attempts exhausted first).
 */
import { retryable, terminal, type WorkerError } from '../../runtime/errors';
import type { ChatMessage } from './dataset';

export interface Usage {
  prompt: number;
  completion: number;
  total: number;
}

export interface ClientOptions {
  baseUrl: string;
  model: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Whether the server honours `n` (several choices per request); when false, one request per sample. @default true */
  supportsN?: boolean;
  /** Per attempt, headers to body. @default 60000 */
  timeoutMs?: number;
  /** Attempts per request, the first included. @default 4 */
  maxAttempts?: number;
  /** @default 500 */
  baseDelayMs?: number;
  /** @default 30000 */
  maxDelayMs?: number;
  /** @default 3 */
  maxConsecutiveInvalid?: number;
  /** Extra log lines (retries). */
  log?: (line: string) => void;
  fetch?: typeof fetch;
}

export interface GenerationParams {
  temperature: number;
  maxTokens?: number;
  seed?: number;
  /** Completions wanted for this prompt. */
  samples: number;
}

export interface Completion {
  texts: string[];
  usage: Usage;
  /** True when the server reported no usage and the token counts are estimates (chars / 4). */
  usageEstimated: boolean;
}

export interface ClientStats {
  requests: number;
  retries: number;
  rateLimited: number;
  serverErrors: number;
  networkErrors: number;
  timeouts: number;
  invalidResponses: number;
}

type Failure = { kind: 'transient'; code: string; message: string; retryAfterMs?: number } | { kind: 'fatal'; error: WorkerError };

export class ChatClient {
  readonly url: string;
  readonly stats: ClientStats = { requests: 0, retries: 0, rateLimited: 0, serverErrors: 0, networkErrors: 0, timeouts: 0, invalidResponses: 0 };
  /** Invalid bodies in a row, across all requests of this client. */
  private consecutiveInvalid = 0;
  private readonly o: Required<Omit<ClientOptions, 'apiKey' | 'log' | 'fetch'>> & Pick<ClientOptions, 'apiKey' | 'log'>;
  private readonly fetchFn: typeof fetch;

  constructor(o: ClientOptions) {
    const base = o.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
    this.url = `${base}/v1/chat/completions`;
    this.o = {
      baseUrl: o.baseUrl,
      model: o.model,
      apiKey: o.apiKey,
      supportsN: o.supportsN ?? true,
      timeoutMs: o.timeoutMs ?? 60_000,
      maxAttempts: o.maxAttempts ?? 4,
      baseDelayMs: o.baseDelayMs ?? 500,
      maxDelayMs: o.maxDelayMs ?? 30_000,
      maxConsecutiveInvalid: o.maxConsecutiveInvalid ?? 3,
      log: o.log,
    };
    this.fetchFn = o.fetch ?? fetch;
  }

  /** `samples` completions of one conversation (several requests when the server returns fewer choices). */
  async complete(messages: readonly ChatMessage[], p: GenerationParams, signal: AbortSignal): Promise<Completion> {
    const texts: string[] = [];
    const usage: Usage = { prompt: 0, completion: 0, total: 0 };
    let usageEstimated = false;
    // a server that ignores n answers one choice a request: at most `samples` requests either way
    for (let round = 0; texts.length < p.samples && round < p.samples; round++) {
      const want = this.o.supportsN ? p.samples - texts.length : 1;
      const r = await this.request(messages, p, want, signal);
      texts.push(...r.texts.slice(0, p.samples - texts.length));
      usage.prompt += r.usage.prompt;
      usage.completion += r.usage.completion;
      usage.total += r.usage.total;
      usageEstimated ||= r.usageEstimated;
    }
    return { texts, usage, usageEstimated };
  }

  private async request(messages: readonly ChatMessage[], p: GenerationParams, n: number, signal: AbortSignal): Promise<Completion> {
    const body: Record<string, unknown> = { model: this.o.model, messages, temperature: p.temperature };
    if (p.maxTokens !== undefined) body.max_tokens = p.maxTokens;
    if (p.seed !== undefined) body.seed = p.seed;
    if (n > 1) body.n = n;
    const payload = JSON.stringify(body);
    let last: Extract<Failure, { kind: 'transient' }> | undefined;
    for (let attempt = 1; attempt <= this.o.maxAttempts; attempt++) {
      if (attempt > 1) {
        this.stats.retries += 1;
        const backoff = Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** (attempt - 2));
        const delay = Math.min(this.o.maxDelayMs, Math.max(backoff / 2 + (Math.random() * backoff) / 2, last?.retryAfterMs ?? 0));
        this.o.log?.(`evaluate: ${last!.code} (${last!.message}); attempt ${attempt}/${this.o.maxAttempts} in ${Math.round(delay)} ms`);
        await sleep(delay, signal);
      }
      const r = await this.attempt(payload, messages, signal);
      if ('texts' in r) return r;
      if (r.kind === 'fatal') throw r.error;
      last = r;
    }
    const code = last!.code === 'ENDPOINT_INVALID_RESPONSE' || last!.code === 'GENERATION_TIMEOUT' ? last!.code : 'MODEL_ENDPOINT_UNAVAILABLE';
    throw retryable(code, `${this.url}: ${last!.message} (after ${this.o.maxAttempts} attempts)`, { url: this.url, attempts: this.o.maxAttempts });
  }

  private async attempt(payload: string, messages: readonly ChatMessage[], signal: AbortSignal): Promise<Completion | Failure> {
    this.stats.requests += 1;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new Error('request timeout')), this.o.timeoutMs);
    const both = AbortSignal.any([signal, timeout.signal]);
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.o.apiKey) headers.authorization = `Bearer ${this.o.apiKey}`;
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const res = await this.fetchFn(this.url, { method: 'POST', headers, body: payload, signal: both });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      text = await res.text();
    } catch (e) {
      if (signal.aborted) throw e; // the task is being aborted: the runtime names the reason
      if (timeout.signal.aborted) {
        this.stats.timeouts += 1;
        return { kind: 'transient', code: 'GENERATION_TIMEOUT', message: `no answer within ${this.o.timeoutMs} ms` };
      }
      this.stats.networkErrors += 1;
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      return { kind: 'transient', code: 'MODEL_ENDPOINT_UNAVAILABLE', message: `request failed: ${cause?.code ?? cause?.message ?? (e as Error).message}` };
    } finally {
      clearTimeout(timer);
    }

    const snippet = text.slice(0, 200).replace(/\s+/g, ' ');
    if (status === 429) {
      this.stats.rateLimited += 1;
      return { kind: 'transient', code: 'MODEL_ENDPOINT_UNAVAILABLE', message: 'HTTP 429 (rate limited)', retryAfterMs: retryAfterMs(retryAfter) };
    }
    if (status >= 500 || status === 408) {
      this.stats.serverErrors += 1;
      return { kind: 'transient', code: 'MODEL_ENDPOINT_UNAVAILABLE', message: `HTTP ${status}: ${snippet}` };
    }
    if (status === 401 || status === 403) {
      return { kind: 'fatal', error: terminal('ENDPOINT_AUTH_FAILED', `${this.url} answered HTTP ${status}: ${snippet}`, { url: this.url, status }) };
    }
    if (status < 200 || status >= 300) {
      return { kind: 'fatal', error: terminal('ENDPOINT_REJECTED', `${this.url} answered HTTP ${status}: ${snippet}`, { url: this.url, status }) };
    }

    const parsed = parseCompletion(text);
    if (typeof parsed === 'string') {
      this.stats.invalidResponses += 1;
      this.consecutiveInvalid += 1;
      const message = `invalid response: ${parsed}; body: ${snippet || '(empty)'}`;
      if (this.consecutiveInvalid >= this.o.maxConsecutiveInvalid) {
        return {
          kind: 'fatal',
          error: terminal('ENDPOINT_INVALID_RESPONSE', `${this.url}: ${this.consecutiveInvalid} invalid responses in a row; last: ${message}`, { url: this.url, consecutive: this.consecutiveInvalid }),
        };
      }
      return { kind: 'transient', code: 'ENDPOINT_INVALID_RESPONSE', message };
    }
    this.consecutiveInvalid = 0;
    if (parsed.usage) return { texts: parsed.texts, usage: parsed.usage, usageEstimated: false };
    const promptChars = messages.reduce((a, m) => a + m.content.length, 0);
    const prompt = Math.ceil(promptChars / 4);
    const completion = parsed.texts.reduce((a, t) => a + Math.ceil(t.length / 4), 0);
    return { texts: parsed.texts, usage: { prompt, completion, total: prompt + completion }, usageEstimated: true };
  }
}

/** The choices' texts and the usage of a chat.completion body, or why it is not one. */
export function parseCompletion(text: string): { texts: string[]; usage?: Usage } | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  const o = v as { choices?: unknown; usage?: Record<string, unknown> } | null;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return 'not a JSON object';
  if (!Array.isArray(o.choices) || o.choices.length === 0) return 'no choices';
  const withIndex = o.choices.map((c, i) => ({ c: c as { index?: unknown; message?: { content?: unknown }; text?: unknown } | null, i }));
  const texts: string[] = [];
  for (const { c, i } of withIndex.sort((a, b) => Number(a.c?.index ?? a.i) - Number(b.c?.index ?? b.i))) {
    const content = c?.message?.content ?? c?.text;
    if (typeof content !== 'string') return `choices[${i}] has no message.content`;
    texts.push(content);
  }
  const u = o.usage;
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : undefined);
  if (u && typeof u === 'object' && num(u.prompt_tokens) !== undefined && num(u.completion_tokens) !== undefined) {
    const prompt = num(u.prompt_tokens)!;
    const completion = num(u.completion_tokens)!;
    return { texts, usage: { prompt, completion, total: num(u.total_tokens) ?? prompt + completion } };
  }
  return { texts };
}

function retryAfterMs(h: string | null): number | undefined {
  if (!h) return undefined;
  const s = Number(h);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const at = Date.parse(h);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
