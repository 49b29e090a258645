/**
 * The held-out eval set: JSONL, one item a line, `{id?, prompt | messages, answer | answers}`.
 * Bad lines are collected with their 1-based line numbers and a reason instead of failing the
 * whole set; blank lines are skipped. The caller decides what "no valid line" means.
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface EvalItem {
  /** From the line's `id`, else `line-<n>`. */
  id: string;
  line: number;
  /** Either a prompt (sent as one user message) or a conversation. */
  prompt?: string;
  messages?: ChatMessage[];
  /** At least one reference answer. */
  answers: string[];
}

export interface BadLine {
  line: number;
  reason: string;
}

export interface ParsedDataset {
  items: EvalItem[];
  invalid: BadLine[];
  /** Non-blank lines seen. */
  lines: number;
}

const ROLES = new Set(['system', 'user', 'assistant']);

function parseLine(raw: string, line: number): EvalItem | string {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    return `not JSON (${(e as Error).message})`;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a JSON object';
  const o = v as Record<string, unknown>;

  let id: string;
  if (o.id === undefined || o.id === null) id = `line-${line}`;
  else if ((typeof o.id === 'string' && o.id !== '') || typeof o.id === 'number') id = String(o.id);
  else return 'id must be a non-empty string or a number';

  let prompt: string | undefined;
  let messages: ChatMessage[] | undefined;
  if (o.prompt !== undefined && o.messages !== undefined) return 'has both prompt and messages';
  if (o.prompt !== undefined) {
    if (typeof o.prompt !== 'string' || o.prompt.trim() === '') return 'prompt must be a non-empty string';
    prompt = o.prompt;
  } else if (o.messages !== undefined) {
    if (!Array.isArray(o.messages) || o.messages.length === 0) return 'messages must be a non-empty array';
    messages = [];
    for (const [i, m] of o.messages.entries()) {
      const mm = m as Record<string, unknown> | null;
      if (typeof mm !== 'object' || mm === null || !ROLES.has(String(mm.role)) || typeof mm.content !== 'string') {
        return `messages[${i}] must be {role: system|user|assistant, content: string}`;
      }
      messages.push({ role: mm.role as ChatMessage['role'], content: mm.content });
    }
    if (!messages.some((m) => m.role === 'user')) return 'messages has no user message';
  } else return 'missing prompt or messages';

  let answers: string[];
  const asText = (x: unknown) => (typeof x === 'string' ? x : typeof x === 'number' || typeof x === 'boolean' ? String(x) : undefined);
  if (o.answer !== undefined && o.answers !== undefined) return 'has both answer and answers';
  if (o.answer !== undefined) {
    const a = asText(o.answer);
    if (a === undefined) return 'answer must be a string';
    answers = [a];
  } else if (o.answers !== undefined) {
    if (!Array.isArray(o.answers) || o.answers.length === 0) return 'answers must be a non-empty array';
    const all = o.answers.map(asText);
    if (all.some((a) => a === undefined)) return 'answers must hold strings';
    answers = all as string[];
  } else return 'missing answer or answers';

  return { id, line, ...(prompt !== undefined ? { prompt } : { messages }), answers };
}

export function parseDataset(text: string): ParsedDataset {
  const items: EvalItem[] = [];
  const invalid: BadLine[] = [];
  const ids = new Map<string, number>();
  let lines = 0;
  const rows = text.split('\n');
  for (let i = 0; i < rows.length; i++) {
    const raw = rows[i]!.replace(/\r$/, '');
    if (raw.trim() === '') continue;
    lines += 1;
    const line = i + 1;
    const r = parseLine(i === 0 ? raw.replace(/^\uFEFF/, '') : raw, line);
    if (typeof r === 'string') {
      invalid.push({ line, reason: r });
      continue;
    }
    const first = ids.get(r.id);
    if (first !== undefined) {
      invalid.push({ line, reason: `duplicate id "${r.id}" (first on line ${first})` });
      continue;
    }
    ids.set(r.id, line);
    items.push(r);
  }
  return { items, invalid, lines };
}

/** The chat messages sent for an item: an optional system prompt, then the prompt or conversation. */
export function messagesOf(item: EvalItem, systemPrompt?: string): ChatMessage[] {
  const base: ChatMessage[] = item.messages ?? [{ role: 'user', content: item.prompt! }];
  return systemPrompt && !base.some((m) => m.role === 'system') ? [{ role: 'system', content: systemPrompt }, ...base] : base;
}

/** A plain-text rendering of the messages, for local models that take one prompt string. */
export function promptText(messages: readonly ChatMessage[]): string {
  if (messages.length === 1 && messages[0]!.role === 'user') return messages[0]!.content;
  return messages.map((m) => `${m.role}: ${m.content}`).join('\n');
}
