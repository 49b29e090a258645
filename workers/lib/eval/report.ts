/**
 * The evaluation report, for machines (JSON: everything incl. every item's predictions and scores)
 * and for people (markdown: the gate's decision and reasons, a metric table against the baseline,
 * counts, bad dataset lines, the first misses). Both go into the artifact store.
 */
import type { ArtifactRef, ArtifactStore } from '../../runtime/artifacts';
import type { BadLine } from './dataset';
import type { BaselineKey, BaselineRecord } from './baseline';

export interface ItemResult {
  id: string;
  line: number;
  answers: string[];
  predictions: string[];
  /** Mean over the samples, per basic metric. */
  scores: Record<string, number>;
}

export interface EvalReport {
  generatedAt: string;
  task: { workflowId: string; taskId: string };
  evalSet: { name: string; sha256: string; lines: number; valid: number; invalid: BadLine[] };
  model: Record<string, unknown>;
  decoding: { temperature: number; maxTokens?: number; seed?: number; samples: number };
  metric: string;
  score: number;
  metrics: Record<string, number>;
  baselineKey: BaselineKey;
  baseline: (BaselineRecord & { comparable: boolean; why?: string }) | null;
  deltas: Record<string, { abs: number; pp: number; rel: number | null }>;
  gate: { decision: 'deploy' | 'hold'; reasons: string[]; delta_pp: number | null; minImprovementPp: number; minScore: number; regression: boolean; regressionThresholdPp: number; withinBudget: boolean };
  cost: Record<string, unknown>;
  counts: Record<string, number>;
  items: ItemResult[];
}

const MAX_PREDICTION_CHARS = 4000;
const MISSES_IN_MARKDOWN = 20;
const BAD_LINES_IN_MARKDOWN = 50;

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(2)}%`);
const pp = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${x >= 0 ? '+' : ''}${x.toFixed(2)} pp`);
const cell = (s: string, max = 120) => {
  const one = s.replace(/\s+/g, ' ').trim();
  return (one.length > max ? `${one.slice(0, max - 1)}…` : one).replace(/\|/g, '\\|') || '(empty)';
};

export function renderMarkdown(r: EvalReport): string {
  const out: string[] = [];
  out.push(`# Evaluation: ${r.baselineKey.model} on ${r.evalSet.name}`, '');
  out.push(`**Decision: ${r.gate.decision.toUpperCase()}**${r.gate.regression ? ' — **REGRESSION**' : ''}`, '');
  for (const reason of r.gate.reasons) out.push(`- ${reason}`);
  out.push('');
  out.push(`Gating metric \`${r.metric}\`: ${pct(r.score)} (baseline ${r.baseline?.comparable ? pct(r.baseline.score) : 'none'}, Δ ${pp(r.gate.delta_pp)}; deploy needs ≥ ${r.gate.minImprovementPp} pp, regression is a drop > ${r.gate.regressionThresholdPp} pp).`, '');
  out.push('| metric | baseline | candidate | Δ |', '|---|---|---|---|');
  for (const [m, v] of Object.entries(r.metrics)) {
    const b = r.baseline?.comparable ? r.baseline.metrics[m] : undefined;
    out.push(`| ${m}${m === r.metric ? ' (gate)' : ''} | ${pct(b)} | ${pct(v)} | ${pp(r.deltas[m]?.pp)} |`);
  }
  out.push('');
  out.push(`Model: ${Object.entries(r.model).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ')}  `);
  out.push(`Decoding: temperature ${r.decoding.temperature}, samples ${r.decoding.samples}${r.decoding.maxTokens ? `, max tokens ${r.decoding.maxTokens}` : ''}${r.decoding.seed !== undefined ? `, seed ${r.decoding.seed}` : ''}  `);
  out.push(`Eval set: ${r.evalSet.name} (sha256 ${r.evalSet.sha256.slice(0, 16)}…), ${r.evalSet.valid} valid items of ${r.evalSet.lines} lines, ${r.evalSet.invalid.length} invalid  `);
  out.push(`Counts: ${Object.entries(r.counts).map(([k, v]) => `${k} ${v}`).join(', ')}  `);
  out.push(`Cost: ${Object.entries(r.cost).filter(([, v]) => typeof v !== 'object').map(([k, v]) => `${k} ${v}`).join(', ')}`, '');
  if (r.baseline && !r.baseline.comparable) out.push(`Stored baseline not used: ${r.baseline.why}`, '');

  if (r.evalSet.invalid.length) {
    out.push(`## Invalid dataset lines (${r.evalSet.invalid.length})`, '', '| line | reason |', '|---|---|');
    for (const b of r.evalSet.invalid.slice(0, BAD_LINES_IN_MARKDOWN)) out.push(`| ${b.line} | ${cell(b.reason)} |`);
    if (r.evalSet.invalid.length > BAD_LINES_IN_MARKDOWN) out.push('', `… and ${r.evalSet.invalid.length - BAD_LINES_IN_MARKDOWN} more (see the JSON report).`);
    out.push('');
  }

  const misses = r.items.filter((i) => (i.scores.normalized_match ?? 0) < 1);
  out.push(`## Misses (${misses.length} of ${r.items.length} items not normalized-matched)`, '');
  if (misses.length) {
    out.push('| id | expected | got | F1 |', '|---|---|---|---|');
    for (const m of misses.slice(0, MISSES_IN_MARKDOWN)) out.push(`| ${cell(m.id, 40)} | ${cell(m.answers.join(' / '))} | ${cell(m.predictions[0] ?? '')} | ${(m.scores.token_f1 ?? 0).toFixed(2)} |`);
    if (misses.length > MISSES_IN_MARKDOWN) out.push('', `… and ${misses.length - MISSES_IN_MARKDOWN} more (see the JSON report).`);
  }
  out.push('', `_Generated ${r.generatedAt} by workflow ${r.task.workflowId || '-'}, task ${r.task.taskId || '-'}._`, '');
  return out.join('\n');
}

export async function storeReport(store: ArtifactStore, r: EvalReport): Promise<{ markdown: ArtifactRef; json: ArtifactRef }> {
  const forJson: EvalReport = { ...r, items: r.items.map((i) => ({ ...i, predictions: i.predictions.map((p) => (p.length > MAX_PREDICTION_CHARS ? `${p.slice(0, MAX_PREDICTION_CHARS)}…` : p)) })) };
  const json = await store.putBytes(`${JSON.stringify(forJson, null, 2)}\n`, 'eval-report.json');
  const markdown = await store.putBytes(renderMarkdown(r), 'eval-report.md');
  const strip = (a: ArtifactRef) => ({ uri: a.uri, sha256: a.sha256, size: a.size, name: a.name });
  return { markdown: strip(markdown), json: strip(json) };
}
