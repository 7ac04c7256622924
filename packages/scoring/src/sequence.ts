export type Sequence = 't1' | 't2' | 't2_SPACE' | 'unknown'

export const SEQUENCES: readonly Sequence[] = ['t1', 't2', 't2_SPACE', 'unknown']

/** The MRI sequence of a series from its name suffix (case-insensitive). */
export function sequenceOf(seriesName: string): Sequence {
  const name = seriesName.toLowerCase()
  if (name.endsWith('_t2_space')) return 't2_SPACE'
  if (name.endsWith('_t1')) return 't1'
  if (name.endsWith('_t2')) return 't2'
  return 'unknown'
}
