/**
 * Stored baselines: per (model, eval set) the score of what is deployed, so evaluate can gate a
 * candidate against it and blind_eval can detect regressions. One JSON file per key under
 * EVAL_BASELINE_PATH (default ./data/eval-baselines), replaced atomically (write + rename), writes
 * serialised in-process. deploy_adapter writes it after a promotion; evaluate only with
 * `recordBaseline: true` (seeding, e.g. from the base model).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface BaselineKey {
  /** The model line (deploy_adapter's `name`), not one night's adapter. */
  model: string;
  /** The eval set's name. */
  evalSet: string;
}

export interface BaselineRecord extends BaselineKey {
  /** The score of the gating metric, a fraction in [0, 1]. */
  score: number;
  metric: string;
  /** Every metric of that evaluation. */
  metrics: Record<string, number>;
  /** The eval set's content hash: a baseline measured on other items is not comparable. */
  evalSetSha256?: string;
  n?: number;
  /** What the score belongs to: a deployed adapter's sha256, an endpoint model name. */
  adapterSha256?: string;
  source: string;
  workflowId?: string;
  updatedAt: string;
  /** Earlier values, newest last (bounded). */
  history?: Omit<BaselineRecord, 'history' | 'model' | 'evalSet'>[];
}

const HISTORY = 20;

export class BaselineStore {
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(readonly root: string) {}

  fileOf(k: BaselineKey): string {
    return join(this.root, `${encodeURIComponent(k.model)}__${encodeURIComponent(k.evalSet)}.json`);
  }

  async get(k: BaselineKey): Promise<BaselineRecord | undefined> {
    try {
      const r = JSON.parse(await readFile(this.fileOf(k), 'utf8')) as BaselineRecord;
      return typeof r.score === 'number' ? r : undefined;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** Replace the baseline (the previous value goes to history); idempotent for an identical value. */
  put(rec: Omit<BaselineRecord, 'history' | 'updatedAt'> & { updatedAt?: string }): Promise<BaselineRecord> {
    const file = this.fileOf(rec);
    const prev = this.locks.get(file) ?? Promise.resolve();
    const next = prev.then(async () => {
      const old = await this.get(rec);
      const same = old && old.score === rec.score && old.metric === rec.metric && old.adapterSha256 === rec.adapterSha256 && old.evalSetSha256 === rec.evalSetSha256;
      if (old && same) return old;
      const history = old ? [...(old.history ?? []), strip(old)].slice(-HISTORY) : [];
      const out: BaselineRecord = { ...rec, updatedAt: rec.updatedAt ?? new Date().toISOString(), history };
      await mkdir(this.root, { recursive: true });
      const tmp = `${file}.${randomUUID()}.tmp`;
      await writeFile(tmp, `${JSON.stringify(out, null, 2)}\n`);
      await rename(tmp, file);
      return out;
    });
    this.locks.set(file, next.catch(() => undefined));
    return next;
  }
}

function strip(r: BaselineRecord): Omit<BaselineRecord, 'history' | 'model' | 'evalSet'> {
  const { history: _h, model: _m, evalSet: _e, ...rest } = r;
  return rest;
}

/** One store per root in this process, so writes to the same file stay serialised. */
const stores = new Map<string, BaselineStore>();

export function baselineStoreFromEnv(env: Readonly<Record<string, string | undefined>>): BaselineStore {
  const root = env.EVAL_BASELINE_PATH || './data/eval-baselines';
  let s = stores.get(root);
  if (!s) stores.set(root, (s = new BaselineStore(root)));
  return s;
}
