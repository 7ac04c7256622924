import { profileMetrics, type MetricOrder, type ProfileName } from './profile.ts'

/** What a metric means, for people: its unit and a one-sentence definition (SCORING.md). */
export interface MetricDefinition {
  readonly key: string
  readonly order: MetricOrder
  /** Display name. */
  readonly label: string
  /** '' for a fraction from 0 to 1, 'mm' for distances, 'structures' for counts. */
  readonly unit: '' | 'mm' | 'structures'
  readonly description: string
}

type Text = Omit<MetricDefinition, 'key' | 'order'>

const DICE_OF_DETECTED = (cls: string): Text => ({
  label: `Dice, ${cls}`,
  unit: '',
  description:
    `Mean Dice overlap (2|G∩P| / (|G|+|P|), 0 to 1) of the detected ${cls} (Dice ≥ 0.1), ` +
    'each reference structure compared with the predicted label that overlaps it most.',
})
const DETECTION = (cls: string): Text => ({
  label: `Detection, ${cls}`,
  unit: '',
  description: `Share of the reference ${cls} detected (Dice ≥ 0.1), from 0 to 1.`,
})
const ASD = (cls: string, which: string): Text => ({
  label: `ASD, ${cls}`,
  unit: 'mm',
  description: `Average symmetric surface distance between reference and prediction surfaces, in millimetres, averaged over ${which}.`,
})
const HD95 = (cls: string): Text => ({
  label: `HD95, ${cls}`,
  unit: 'mm',
  description:
    '95th-percentile Hausdorff distance between reference and prediction surfaces, in millimetres, ' + `averaged over the detected ${cls}.`,
})

const TEXTS: Record<string, Text> = {
  DiceVertebrae: DICE_OF_DETECTED('vertebrae'),
  DiceDiscs: DICE_OF_DETECTED('intervertebral discs'),
  DiceSpinalCanal: { label: 'Dice, spinal canal', unit: '', description: 'Dice overlap of the spinal canal (label 100), 0 to 1.' },
  DiceOverall: {
    label: 'Dice, overall',
    unit: '',
    description: 'Mean Dice over every reference structure, unmatched ones counting 0, 0 to 1.',
  },
  DetectionVertebrae: DETECTION('vertebrae'),
  DetectionDiscs: DETECTION('intervertebral discs'),
  DetectionSpinalCanal: {
    label: 'Detection, spinal canal',
    unit: '',
    description: '1 when the spinal canal is detected (Dice ≥ 0.1), else 0.',
  },
  ASDVertebrae: ASD('vertebrae', 'the detected vertebrae'),
  ASDDiscs: ASD('discs', 'the detected intervertebral discs'),
  ASDSpinalCanal: ASD('spinal canal', 'the spinal canal when detected'),
  ASDOverall: ASD('overall', 'every detected reference structure'),
  HD95Vertebrae: HD95('vertebrae'),
  HD95Discs: HD95('intervertebral discs'),
  HD95SpinalCanal: HD95('spinal canal'),
  FalsePositiveStructures: {
    label: 'False-positive structures',
    unit: 'structures',
    description: 'Number of predicted labels that match no reference structure.',
  },
  // spider-official: the official SPIDER scorer's keys and rules, defects included.
  DiceScoreVertebrae: {
    ...DICE_OF_DETECTED('vertebrae'),
    description: `${DICE_OF_DETECTED('vertebrae').description} Official SPIDER scorer.`,
  },
  DiceScoreDiscs: {
    ...DICE_OF_DETECTED('intervertebral discs'),
    description: `${DICE_OF_DETECTED('intervertebral discs').description} Official SPIDER scorer.`,
  },
  DiceScoreSpinalCanal: {
    label: 'Dice, spinal canal',
    unit: '',
    description: 'Dice overlap of the spinal canal (label 100); 999 when the reference has no canal (official SPIDER scorer).',
  },
  OveralDiceScore: {
    label: 'Dice, overall',
    unit: '',
    description: 'Mean Dice over every reference structure, unmatched ones counting 0 (official SPIDER scorer).',
  },
  DetectionRateVertebrae: DETECTION('vertebrae'),
  DetectionRateDiscs: DETECTION('intervertebral discs'),
  OveralASD: {
    label: 'ASD, overall',
    unit: 'mm',
    description:
      'Mean average symmetric surface distance over every reference structure; ' +
      'none when any is unmatched (official SPIDER scorer, its spacing order).',
  },
}

/** Every metric of a profile, in the profile's order, with what it means. */
export function metricDefinitions(profile: ProfileName): MetricDefinition[] {
  return profileMetrics(profile).map(({ key, order }) => {
    const text = TEXTS[key]
    if (!text) throw new Error(`metric "${key}" of profile "${profile}" has no definition`)
    if (profile === 'spider-official' && key.startsWith('ASD'))
      return {
        key,
        order,
        ...text,
        description: `${text.description} Official SPIDER scorer: its spacing order, and none when any structure is unmatched.`,
      }
    return { key, order, ...text }
  })
}
