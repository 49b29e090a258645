/**
 * A training job's budgets: wall time (maxWallS) and money (maxCostUsd at costPerHourUsd). Both
 * are measured on the host's clock from the job's first launch. The worker checks them at every
 * poll and kills the job when one is spent; the host's `timeout` is the backstop that holds even
 * when no worker polls: it fires at maxWallS, or a little after the money runs out (two poll
 * intervals plus the kill grace, so the worker, which reports the cost, normally acts first).
 */

export interface Budget {
  maxWallS: number;
  maxCostUsd?: number;
  costPerHourUsd: number;
  killGraceS: number;
}

export interface BudgetCheck {
  elapsedS: number;
  costUsd: number;
  /** Which budget is spent, if any. */
  exceeded?: 'wall' | 'cost';
}

/** The seconds the money lasts, or Infinity. */
export function costLimitS(b: Budget): number {
  return b.maxCostUsd !== undefined && b.costPerHourUsd > 0 ? (b.maxCostUsd / b.costPerHourUsd) * 3600 : Infinity;
}

/** `timeout`'s limit for the whole job, s. */
export function hostLimitS(b: Budget, pollS: number): number {
  return Math.max(1, Math.ceil(Math.min(b.maxWallS, costLimitS(b) + 2 * pollS + b.killGraceS)));
}

export function checkBudget(b: Budget, elapsedS: number): BudgetCheck {
  const costUsd = Math.round((elapsedS / 3600) * b.costPerHourUsd * 10_000) / 10_000;
  const exceeded = elapsedS >= b.maxWallS ? 'wall' : b.maxCostUsd !== undefined && elapsedS >= costLimitS(b) ? 'cost' : undefined;
  return { elapsedS, costUsd, ...(exceeded ? { exceeded } : {}) };
}
