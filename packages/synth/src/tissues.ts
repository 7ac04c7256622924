/**
 * Tissue classes of the rendered anatomy (one byte per voxel). Each vertebra and disc gets its
 * own marrow / nucleus class so that its signal can vary (degeneration, Modic changes).
 */
export const TISSUE = {
  air: 0,
  fat: 1,
  muscle: 2,
  abdomen: 3,
  vessel: 4,
  ligament: 5,
  skin: 6,
  csf: 7,
  cord: 8,
  cauda: 9,
  cortex: 10,
  posteriorBone: 11,
  annulus: 12,
} as const

/** Marrow of vertebra `index` (sacral segments have index -2..0). */
export const marrowTissue = (vertebraIndex: number): number => 16 + vertebraIndex + 2
/** Nucleus pulposus of disc 200 + `index`. */
export const nucleusTissue = (discIndex: number): number => 32 + discIndex

export const TISSUE_COUNT = 48
