/**
 * Routing, pure: the triggers file's schema, what a GitHub event is about (its context), which
 * routes it fires, and the workflow input each route maps from it. No I/O; the caller reads the
 * file and the request.
 *
 * Filters follow GitHub Actions' `on.push` rules: a route with only `tags` ignores branch pushes
 * and one with only `branches` ignores tags; `paths` are evaluated on branch pushes only (tag
 * pushes carry no reliable file list); a pattern starting with `!` excludes what earlier patterns
 * in the same list included.
 */
import picomatch from 'picomatch';
import { z } from 'zod';
import type { EmitterWebhookEvent } from '@octokit/webhooks';

/** Events that can fire routes (ping is answered by the app and never routed). */
export const ROUTED_EVENTS = ['push', 'pull_request', 'release'] as const;
export type RoutedEvent = (typeof ROUTED_EVENTS)[number];

/** Actions that fire a route when it names none. */
export const DEFAULT_ACTIONS: Record<Exclude<RoutedEvent, 'push'>, string[]> = {
  pull_request: ['opened', 'synchronize'],
  release: ['published'],
};

/** Names `${...}` may use in an input mapping, besides `payload.<path>`. */
export const CONTEXT_FIELDS = [
  'event', 'action', 'delivery', 'repository', 'owner', 'repo', 'ref', 'branch', 'tag', 'base_branch',
  'sha', 'before', 'pusher', 'changed_files', 'clone_url', 'ssh_url', 'html_url', 'compare_url', 'message', 'pr_number',
] as const;

export type EventContext = {
  event: RoutedEvent;
  action: string | null;
  delivery: string;
  /** `owner/name` */
  repository: string;
  owner: string;
  repo: string;
  ref: string | null;
  /** The pushed branch (push), the head branch (pull_request); null for tags. */
  branch: string | null;
  /** The pushed tag (push) or the release's tag. */
  tag: string | null;
  /** pull_request: the branch the change goes into. */
  base_branch: string | null;
  /** The commit to build and report on; null for a release whose target is a branch name. */
  sha: string | null;
  before: string | null;
  pusher: string | null;
  /** Union of the push's commits' added/modified/removed, sorted; empty for other events. */
  changed_files: string[];
  clone_url: string | null;
  ssh_url: string | null;
  html_url: string | null;
  compare_url: string | null;
  message: string | null;
  pr_number: number | null;
  /** pull_request: the head is in another repository. Not a mapping field. */
  fromFork: boolean;
};

type PushPayload = EmitterWebhookEvent<'push'>['payload'];
type PullRequestPayload = EmitterWebhookEvent<'pull_request'>['payload'];
type ReleasePayload = EmitterWebhookEvent<'release'>['payload'];

// ---------------------------------------------------------------------------------------------
// the triggers file

const REF = /\$\{([^}]*)\}/g;
const globList = z.array(z.string().min(1, 'an empty pattern')).min(1, 'an empty list: leave the field out instead');

function checkRefs(v: unknown, path: (string | number)[], ctx: z.RefinementCtx): void {
  if (typeof v === 'string') {
    for (const m of v.matchAll(REF)) {
      const name = m[1].trim();
      if (!(CONTEXT_FIELDS as readonly string[]).includes(name) && !/^payload(\.[A-Za-z0-9_-]+)+$/.test(name)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path, message: `unknown field \${${name}}; use one of ${CONTEXT_FIELDS.join(', ')} or payload.<path>` });
      }
    }
  } else if (Array.isArray(v)) v.forEach((x, i) => checkRefs(x, [...path, i], ctx));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) checkRefs(x, [...path, k], ctx);
}

export const RouteSchema = z
  .object({
    /** Unique; names the route in logs, answers, idempotency keys and the default status context. */
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (at most 64)'),
    description: z.string().optional(),
    /** `owner/name` glob(s), case-insensitive. @default every repository */
    repository: z.union([z.string().min(1), globList]).optional(),
    /** @default ["push"] */
    events: z.array(z.enum(ROUTED_EVENTS)).min(1).default(['push']),
    /** pull_request / release actions. @default opened+synchronize / published */
    actions: z.array(z.string().min(1)).min(1).optional(),
    branches: globList.optional(),
    tags: globList.optional(),
    paths: globList.optional(),
    /** pull_request from a fork fires this route (its code then runs on your workers). @default false */
    allowForks: z.boolean().default(false),
    workflow: z.object({ name: z.string().min(1), version: z.number().int().min(1).optional() }).strict(),
    /** Workflow input: constants, `${field}` (keeps the value's type) or text with `${field}` inside. */
    input: z.record(z.unknown()).default({}),
    /** GitHub commit status context. @default baton/<name> */
    statusContext: z.string().min(1).max(100).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.paths && r.events.some((e) => e !== 'push')) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['paths'], message: 'paths filter push events only (GitHub sends no file list with pull_request or release)' });
    }
    checkRefs(r.input, ['input'], ctx);
  });

export const TriggersSchema = z
  .object({ $comment: z.string().optional(), routes: z.array(RouteSchema) })
  .strict()
  .superRefine((t, ctx) => {
    const seen = new Set<string>();
    t.routes.forEach((r, i) => {
      if (seen.has(r.name)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['routes', i, 'name'], message: `duplicate route name "${r.name}"` });
      seen.add(r.name);
    });
  });

export type Route = z.infer<typeof RouteSchema>;
export type Triggers = z.infer<typeof TriggersSchema>;

export class TriggersError extends Error {}

/** Validates parsed JSON; the error names the file and the field (`routes[0].branches: ...`). */
export function parseTriggers(json: unknown, file: string): Triggers {
  const r = TriggersSchema.safeParse(json);
  if (r.success) return r.data;
  const where = (p: (string | number)[]) => p.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${k}` : k), '') || '(top level)';
  throw new TriggersError(`Invalid triggers file ${file}:\n${r.error.issues.map((i) => `  ${where(i.path)}: ${i.message}`).join('\n')}`);
}

// ---------------------------------------------------------------------------------------------
// what an event is about

/** The payload lacks something every GitHub event of that name has: answer 400. */
export class PayloadError extends Error {}

const str = z.string();
const optStr = z.string().nullish();
const Repo = z.object({
  full_name: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'owner/name'),
  name: str,
  clone_url: optStr,
  ssh_url: optStr,
  html_url: optStr,
});
const Commit = z.object({
  id: str,
  message: optStr,
  added: z.array(str).nullish(),
  removed: z.array(str).nullish(),
  modified: z.array(str).nullish(),
});
const Push = z.object({
  ref: str,
  before: str,
  after: str,
  deleted: z.boolean().nullish(),
  base_ref: optStr,
  compare: optStr,
  repository: Repo,
  pusher: z.object({ name: optStr }).nullish(),
  sender: z.object({ login: optStr }).nullish(),
  commits: z.array(Commit).nullish(),
  head_commit: Commit.nullish(),
});
const PullRequest = z.object({
  action: str,
  number: z.number(),
  repository: Repo,
  sender: z.object({ login: optStr }).nullish(),
  pull_request: z.object({
    html_url: optStr,
    title: optStr,
    head: z.object({ ref: str, sha: str, repo: Repo.nullish() }),
    base: z.object({ ref: str }),
  }),
});
const Release = z.object({
  action: str,
  repository: Repo,
  sender: z.object({ login: optStr }).nullish(),
  release: z.object({ tag_name: str, target_commitish: optStr, name: optStr, html_url: optStr }),
});

/** Compile-time check: GitHub's payload types (octokit's) fit the subset parsed here. */
type Fits<Full, Subset> = [Full] extends [Subset] ? true : never;
export const PAYLOAD_TYPES_FIT: [Fits<PushPayload, z.input<typeof Push>>, Fits<PullRequestPayload, z.input<typeof PullRequest>>, Fits<ReleasePayload, z.input<typeof Release>>] = [true, true, true];

function check<T>(schema: z.ZodType<T>, payload: unknown, event: string): T {
  const r = schema.safeParse(payload);
  if (r.success) return r.data;
  const i = r.error.issues[0];
  throw new PayloadError(`not a ${event} payload: ${i.path.join('.') || '(body)'}: ${i.message}`);
}

const ZERO_SHA = /^0{40}$/;
const SHA = /^[0-9a-f]{40}$/i;

function base(event: RoutedEvent, delivery: string, repo: z.infer<typeof Repo>): EventContext {
  const [owner] = repo.full_name.split('/');
  return {
    event, action: null, delivery, repository: repo.full_name, owner, repo: repo.name,
    ref: null, branch: null, tag: null, base_branch: null, sha: null, before: null, pusher: null, changed_files: [],
    clone_url: repo.clone_url ?? null, ssh_url: repo.ssh_url ?? null, html_url: repo.html_url ?? null,
    compare_url: null, message: null, pr_number: null, fromFork: false,
  };
}

/**
 * The context of a routed event, or why it is ignored before any route is looked at.
 * @throws PayloadError when the payload does not have the event's shape.
 */
export function describeEvent(event: RoutedEvent, payload: unknown, delivery: string): { context: EventContext } | { ignored: string } {
  if (event === 'push') {
    const p = check(Push, payload, event);
    const branch = p.ref.startsWith('refs/heads/') ? p.ref.slice('refs/heads/'.length) : null;
    const tag = p.ref.startsWith('refs/tags/') ? p.ref.slice('refs/tags/'.length) : null;
    if (!branch && !tag) return { ignored: `push to ${p.ref}, neither a branch nor a tag` };
    if (p.deleted || ZERO_SHA.test(p.after)) return { ignored: `${branch ? `branch ${branch}` : `tag ${tag}`} was deleted` };
    const files = new Set<string>();
    for (const c of p.commits ?? []) for (const f of [...(c.added ?? []), ...(c.modified ?? []), ...(c.removed ?? [])]) files.add(f);
    return {
      context: {
        ...base(event, delivery, p.repository),
        ref: p.ref,
        branch: branch ?? (p.base_ref?.startsWith('refs/heads/') ? p.base_ref.slice('refs/heads/'.length) : null),
        tag,
        sha: p.after,
        before: ZERO_SHA.test(p.before) ? null : p.before,
        pusher: p.pusher?.name ?? p.sender?.login ?? null,
        changed_files: [...files].sort(),
        compare_url: p.compare ?? null,
        message: p.head_commit?.message ?? null,
      },
    };
  }
  if (event === 'pull_request') {
    const p = check(PullRequest, payload, event);
    const pr = p.pull_request;
    const head = pr.head.repo ?? p.repository;
    return {
      context: {
        ...base(event, delivery, p.repository),
        action: p.action,
        ref: `refs/heads/${pr.head.ref}`,
        branch: pr.head.ref,
        base_branch: pr.base.ref,
        sha: pr.head.sha,
        pusher: p.sender?.login ?? null,
        clone_url: head.clone_url ?? null,
        ssh_url: head.ssh_url ?? null,
        html_url: pr.html_url ?? p.repository.html_url ?? null,
        message: pr.title ?? null,
        pr_number: p.number,
        fromFork: head.full_name.toLowerCase() !== p.repository.full_name.toLowerCase(),
      },
    };
  }
  const p = check(Release, payload, event);
  const target = p.release.target_commitish ?? '';
  return {
    context: {
      ...base(event, delivery, p.repository),
      action: p.action,
      ref: `refs/tags/${p.release.tag_name}`,
      tag: p.release.tag_name,
      branch: target && !SHA.test(target) ? target : null,
      sha: SHA.test(target) ? target : null,
      pusher: p.sender?.login ?? null,
      html_url: p.release.html_url ?? p.repository.html_url ?? null,
      message: p.release.name ?? null,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// matching

/** GitHub Actions' list semantics: later `!pattern` entries exclude what earlier ones included. */
export function matchesList(value: string, patterns: readonly string[], opts: picomatch.PicomatchOptions = {}): boolean {
  let matched = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (matched && picomatch.isMatch(value, p.slice(1), { dot: true, ...opts })) matched = false;
    } else if (!matched && picomatch.isMatch(value, p, { dot: true, ...opts })) matched = true;
  }
  return matched;
}

/** Why `route` does not fire for `ctx`, or null when it does. */
export function skipReason(route: Route, ctx: EventContext): string | null {
  if (!route.events.includes(ctx.event)) return `event ${ctx.event} not in [${route.events.join(', ')}]`;
  if (route.repository) {
    const repos = typeof route.repository === 'string' ? [route.repository] : route.repository;
    if (!matchesList(ctx.repository, repos, { nocase: true })) return `repository ${ctx.repository} not in [${repos.join(', ')}]`;
  }
  if (ctx.event !== 'push') {
    const actions = route.actions ?? DEFAULT_ACTIONS[ctx.event];
    if (!ctx.action || !actions.includes(ctx.action)) return `action ${ctx.action} not in [${actions.join(', ')}]`;
  }
  if (ctx.event === 'pull_request' && ctx.fromFork && !route.allowForks) return 'pull request from a fork (set allowForks to build those)';
  // a pull request is filtered by the branch it goes into, as in GitHub Actions
  const isTag = ctx.event === 'release' || (ctx.event === 'push' && ctx.tag !== null);
  if (isTag) {
    if (route.branches && !route.tags) return `tag ${ctx.tag}: the route filters branches only`;
    if (route.tags && !matchesList(ctx.tag!, route.tags)) return `tag ${ctx.tag} not in [${route.tags.join(', ')}]`;
  } else {
    const branch = ctx.event === 'pull_request' ? ctx.base_branch! : ctx.branch!;
    if (route.tags && !route.branches) return `branch ${branch}: the route filters tags only`;
    if (route.branches && !matchesList(branch, route.branches)) return `branch ${branch} not in [${route.branches.join(', ')}]`;
    if (route.paths && ctx.event === 'push' && !ctx.changed_files.some((f) => matchesList(f, route.paths!))) {
      return `no changed path matches [${route.paths.join(', ')}]`;
    }
  }
  return null;
}

function lookup(name: string, ctx: EventContext, payload: unknown): unknown {
  if (!name.startsWith('payload.')) return ctx[name as keyof EventContext] ?? null;
  let v: unknown = payload;
  for (const k of name.slice('payload.'.length).split('.')) {
    if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, k)) return null;
    v = (v as Record<string, unknown>)[k];
  }
  return v ?? null;
}

/**
 * The workflow input of a route: `"${field}"` alone takes the field's value with its type (a list
 * stays a list); `${field}` inside text is replaced by its text (null → empty); anything else is
 * a constant.
 */
export function mapInput(template: unknown, ctx: EventContext, payload: unknown): unknown {
  if (typeof template === 'string') {
    const whole = /^\$\{([^}]*)\}$/.exec(template);
    if (whole) return lookup(whole[1].trim(), ctx, payload);
    return template.replace(REF, (_, name: string) => {
      const v = lookup(name.trim(), ctx, payload);
      return v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
    });
  }
  if (Array.isArray(template)) return template.map((t) => mapInput(t, ctx, payload));
  if (template && typeof template === 'object') return Object.fromEntries(Object.entries(template).map(([k, t]) => [k, mapInput(t, ctx, payload)]));
  return template;
}

/** One workflow a delivery starts. */
export interface PlannedStart {
  route: string;
  name: string;
  version?: number;
  input: Record<string, unknown>;
  /** `owner/repo@sha` (or `@tag` for a release without a commit sha). */
  correlationId: string;
  /** The delivery id, suffixed with `:route` when one delivery starts several workflows. */
  idempotencyKey: string;
  /** Where the commit status goes; null when there is no commit sha. */
  status: { repository: string; sha: string; context: string } | null;
}

export interface RoutingResult {
  starts: PlannedStart[];
  skipped: { route: string; reason: string }[];
}

/** Every route that fires for the event, in file order, with its mapped input. */
export function routeEvent(triggers: Triggers, ctx: EventContext, payload: unknown): RoutingResult {
  const fired: Route[] = [];
  const skipped: RoutingResult['skipped'] = [];
  for (const r of triggers.routes) {
    const why = skipReason(r, ctx);
    if (why) skipped.push({ route: r.name, reason: why });
    else fired.push(r);
  }
  const starts = fired.map((r): PlannedStart => ({
    route: r.name,
    name: r.workflow.name,
    ...(r.workflow.version !== undefined ? { version: r.workflow.version } : {}),
    input: mapInput(r.input, ctx, payload) as Record<string, unknown>,
    correlationId: `${ctx.repository}@${ctx.sha ?? ctx.tag}`,
    idempotencyKey: fired.length === 1 ? ctx.delivery : `${ctx.delivery}:${r.name}`,
    status: ctx.sha ? { repository: ctx.repository, sha: ctx.sha, context: r.statusContext ?? `baton/${r.name}` } : null,
  }));
  return { starts, skipped };
}
