import type { Anatomy } from './anatomy.ts'
import type { Rng } from '@spider-bench/random'
import type { Sequence } from './series-grid.ts'
import { TISSUE, TISSUE_COUNT, marrowTissue, nucleusTissue } from './tissues.ts'

type BaseContrast = Record<Exclude<keyof typeof TISSUE, 'air'> | 'marrow' | 'nucleus', number>

// Typical relative signal per sequence. T1: fat and marrow bright, discs and CSF dark;
// T2 (TSE) and T2-SPACE: CSF and healthy nuclei bright, fat still fairly bright on TSE.
const BASE: Record<Sequence, BaseContrast> = {
  t1: {
    fat: 1000,
    muscle: 400,
    abdomen: 520,
    vessel: 60,
    ligament: 110,
    skin: 620,
    csf: 210,
    cord: 470,
    cauda: 320,
    cortex: 80,
    posteriorBone: 520,
    annulus: 290,
    marrow: 640,
    nucleus: 340,
  },
  t2: {
    fat: 820,
    muscle: 230,
    abdomen: 460,
    vessel: 40,
    ligament: 70,
    skin: 470,
    csf: 1300,
    cord: 420,
    cauda: 720,
    cortex: 60,
    posteriorBone: 360,
    annulus: 230,
    marrow: 460,
    nucleus: 1150,
  },
  t2_SPACE: {
    fat: 540,
    muscle: 200,
    abdomen: 390,
    vessel: 40,
    ligament: 60,
    skin: 400,
    csf: 1400,
    cord: 380,
    cauda: 650,
    cortex: 50,
    posteriorBone: 320,
    annulus: 200,
    marrow: 400,
    nucleus: 1050,
  },
}

/** Texture amplitude per tissue class (abdomen: bowel; muscle and marrow: fine heterogeneity). */
export function textureAmplitudes(): Float32Array {
  const amp = new Float32Array(TISSUE_COUNT)
  amp[TISSUE.abdomen] = 0.45
  amp[TISSUE.muscle] = 0.12
  amp[TISSUE.fat] = 0.05
  amp[TISSUE.posteriorBone] = 0.08
  for (let i = -2; i <= 9; i++) amp[marrowTissue(i)] = 0.08
  return amp
}

/** Mean signal of every tissue class for one series (per-series scanner variation included). */
export function drawContrast(rng: Rng, anatomy: Anatomy, sequence: Sequence): Float32Array {
  const base = BASE[sequence]
  const jit = (x: number): number => x * rng.clampedNormal(1, 0.06, 0.85, 1.15)
  const lut = new Float32Array(TISSUE_COUNT)
  for (const [name, id] of Object.entries(TISSUE)) {
    if (name === 'air') continue
    lut[id] = jit(base[name as keyof BaseContrast])
  }
  // Fatty marrow conversion with age brightens bone on T1 (and a little on T2).
  const ageFactor = 0.85 + 0.35 * Math.min(1, Math.max(0, (anatomy.age - 20) / 60))
  for (const v of anatomy.vertebrae) lut[marrowTissue(v.index)] = jit(base.marrow * ageFactor * v.marrow)
  // Degenerated discs lose water: dark nucleus on T2, little change on T1.
  const t1 = sequence === 't1'
  for (const d of anatomy.discs) lut[nucleusTissue(d.index)] = jit(base.nucleus * (1 - (t1 ? 0.25 : 0.8) * d.degeneration))
  return lut
}
