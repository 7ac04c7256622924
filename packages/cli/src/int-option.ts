import { UsageError } from './main.ts'

/** A whole-number option `--name` of at least `min` (0 or 1), or `fallback` when absent. */
export function intOption(name: string, value: string | undefined, fallback: number, min: 0 | 1 = 0): number {
  if (value === undefined) return fallback
  if (!/^\d+$/.test(value) || Number(value) < min) {
    throw new UsageError(`--${name} expects a ${min === 1 ? 'positive' : 'non-negative'} integer, got "${value}"`)
  }
  return Number(value)
}
