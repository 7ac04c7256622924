import type { ProfileName } from '../profiles/profile.ts'
import { ImageError, type Image3D } from './types.ts'

// Physical geometry must agree within this relative tolerance (absolute near zero).
const TOLERANCE = 1e-4

/**
 * Checks that a prediction lies on the reference's voxel grid. Both profiles need the same
 * size; `spider` also needs the same spacing, origin and direction (the official scorer
 * ignores them). Throws ImageError naming the field and both values.
 */
export function checkPairGeometry(truth: Image3D, pred: Image3D, profile: ProfileName, predFile: string): void {
  if (!sameValues(truth.size, pred.size, 0)) {
    throw new ImageError(predFile, `size ${pred.size.join('x')} differs from the reference size ${truth.size.join('x')}`)
  }
  if (profile === 'spider-official') return
  const fields = ['spacing', 'origin', 'direction'] as const
  for (const field of fields) {
    if (!sameValues(truth[field], pred[field], TOLERANCE)) {
      throw new ImageError(predFile, `${field} [${format(pred[field])}] differs from the reference ${field} [${format(truth[field])}]`)
    }
  }
}

function sameValues(a: readonly number[], b: readonly number[], tolerance: number): boolean {
  if (a.length !== b.length) return false
  return a.every((v, i) => Math.abs(v - b[i]) <= tolerance * Math.max(1, Math.abs(v), Math.abs(b[i])))
}

function format(values: readonly number[]): string {
  return values.map((v) => String(Number(v.toPrecision(10)))).join(', ')
}
