/**
 * The deploy gate (reference/worker-domain.md §4.5, §6.2), pure so it can be tested alone.
 * "Improves by ≥ 2" means absolute percentage points of the gating metric (0.70 → 0.72), measured
 * on the same eval set as the stored baseline.
 *
 * deploy ⇔ within budget ∧ score ≥ minScore ∧ (a comparable baseline exists ? delta_pp ≥ minImprovementPp
 *                                               : no baseline at all ∧ noBaseline = deploy)
 *
 * - No baseline stored (the first deployment of this model line on this eval set): `noBaseline`
 *   decides, default deploy, still subject to minScore and the budget. Seed a baseline first
 *   (evaluate the base model with recordBaseline) to make the first adapter beat something.
 * - A baseline exists but is not comparable (other eval-set hash, metric not recorded): hold, since
 *   nothing shows the candidate is better; re-seed the baseline to continue.
 * - regression ⇔ a comparable baseline exists ∧ the score dropped by more than regressionThresholdPp
 *   (blind_eval alerts on it); it never changes the decision by itself (a drop is already < +2 pp).
 */
import { roundTo } from './metrics';

export interface GateInput {
  metric: string;
  /** Fractions in [0, 1]. */
  score: number;
  /** The comparable baseline's score, or null. */
  baseline: number | null;
  /** Why a stored baseline could not be used (it exists but is not comparable). */
  baselineUnusable?: string;
  minImprovementPp: number;
  regressionThresholdPp: number;
  minScore: number;
  noBaseline: 'deploy' | 'hold';
  withinBudget: boolean;
  budgetReason?: string;
}

export interface GateResult {
  decision: 'deploy' | 'hold';
  reasons: string[];
  delta_pp: number | null;
  regression: boolean;
}

const fmt = (x: number) => `${roundTo(x * 100, 2)}%`;

export function decide(g: GateInput): GateResult {
  const reasons: string[] = [];
  let ok = true;
  const delta_pp = g.baseline === null ? null : roundTo((g.score - g.baseline) * 100, 6);
  const regression = delta_pp !== null && -delta_pp > g.regressionThresholdPp;

  if (delta_pp !== null) {
    const sign = delta_pp >= 0 ? '+' : '';
    if (delta_pp >= g.minImprovementPp) reasons.push(`${g.metric} ${fmt(g.score)} vs baseline ${fmt(g.baseline!)}: ${sign}${delta_pp} pp ≥ ${g.minImprovementPp} pp`);
    else {
      ok = false;
      reasons.push(`${g.metric} ${fmt(g.score)} vs baseline ${fmt(g.baseline!)}: ${sign}${delta_pp} pp < ${g.minImprovementPp} pp required`);
    }
    if (regression) reasons.push(`regression: ${g.metric} dropped ${-delta_pp} pp, more than the ${g.regressionThresholdPp} pp threshold`);
  } else if (g.baselineUnusable) {
    ok = false;
    reasons.push(`stored baseline not comparable (${g.baselineUnusable}): hold until it is re-seeded`);
  } else if (g.noBaseline === 'deploy') {
    reasons.push(`no baseline stored: first deployment (noBaseline=deploy), ${g.metric} ${fmt(g.score)}`);
  } else {
    ok = false;
    reasons.push('no baseline stored and noBaseline=hold');
  }

  if (g.score < g.minScore) {
    ok = false;
    reasons.push(`${g.metric} ${fmt(g.score)} is below the minimum ${fmt(g.minScore)}`);
  }
  if (!g.withinBudget) {
    ok = false;
    reasons.push(`over budget${g.budgetReason ? `: ${g.budgetReason}` : ''}`);
  }
  return { decision: ok ? 'deploy' : 'hold', reasons, delta_pp, regression };
}
