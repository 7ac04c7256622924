/** The two scoring profiles of SCORING.md. */
export type ProfileName = 'spider' | 'spider-official'

export const PROFILE_NAMES: readonly ProfileName[] = ['spider', 'spider-official']

/** 'desc': higher is better (Dice, detection); 'asc': lower is better (distances, false positives). */
export type MetricOrder = 'asc' | 'desc'

export interface MetricSpec {
  readonly key: string
  readonly order: MetricOrder
}

function specs(entries: Array<[string, MetricOrder]>): readonly MetricSpec[] {
  return entries.map(([key, order]) => ({ key, order }))
}

/** The ordered per-series metric keys of each profile. */
export const PROFILES: Readonly<Record<ProfileName, readonly MetricSpec[]>> = {
  spider: specs([
    ['DiceVertebrae', 'desc'],
    ['DiceDiscs', 'desc'],
    ['DiceSpinalCanal', 'desc'],
    ['DiceOverall', 'desc'],
    ['DetectionVertebrae', 'desc'],
    ['DetectionDiscs', 'desc'],
    ['DetectionSpinalCanal', 'desc'],
    ['ASDVertebrae', 'asc'],
    ['ASDDiscs', 'asc'],
    ['ASDSpinalCanal', 'asc'],
    ['ASDOverall', 'asc'],
    ['HD95Vertebrae', 'asc'],
    ['HD95Discs', 'asc'],
    ['HD95SpinalCanal', 'asc'],
    ['FalsePositiveStructures', 'asc'],
  ]),
  // Keys exactly as the official scorer writes them, misspelling included.
  'spider-official': specs([
    ['DiceScoreVertebrae', 'desc'],
    ['DiceScoreDiscs', 'desc'],
    ['DiceScoreSpinalCanal', 'desc'],
    ['OveralDiceScore', 'desc'],
    ['DetectionRateVertebrae', 'desc'],
    ['DetectionRateDiscs', 'desc'],
    ['ASDVertebrae', 'asc'],
    ['ASDDiscs', 'asc'],
    ['ASDSpinalCanal', 'asc'],
    ['OveralASD', 'asc'],
  ]),
}

export function profileMetrics(profile: ProfileName): readonly MetricSpec[] {
  return PROFILES[profile]
}

export function isProfileName(name: string): name is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(name)
}
