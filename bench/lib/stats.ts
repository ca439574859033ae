/** Percentiles and formatting. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const ms = (n: number): string => (Number.isFinite(n) ? `${n < 10 ? n.toFixed(1) : Math.round(n)} ms` : 'n/a');
export const perSec = (n: number): string =>
  Number.isFinite(n) ? `${n < 10 ? n.toFixed(1) : Math.round(n)}/s` : 'n/a';
export const ratio = (a: number, b: number): number => (b > 0 ? a / b : NaN);
export const fmtRatio = (r: number): string => (Number.isFinite(r) ? `${r.toFixed(r < 0.1 ? 3 : 2)}×` : 'n/a');
