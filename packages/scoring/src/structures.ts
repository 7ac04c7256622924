/** Structure class of a reference label (SCORING.md label scheme). */
export type StructureClass = 'vertebra' | 'canal' | 'other' | 'disc'

export const SPINAL_CANAL = 100

export function structureClass(label: number): StructureClass {
  if (label < SPINAL_CANAL) return 'vertebra'
  if (label === SPINAL_CANAL) return 'canal'
  if (label <= 200) return 'other'
  return 'disc'
}
