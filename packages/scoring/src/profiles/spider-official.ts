import { mean } from '../stats.ts'
import type { StructureResult } from '../result.ts'

/** The official scorer's value for the spinal canal when the reference has none. */
export const MISSING_CANAL_SENTINEL = 999

/**
 * Series metrics of the official SPIDER scorer (SCORING.md "Profile spider-official"), its
 * quirks included: 999 for an absent canal, ASD means that turn NaN (null) as soon as one
 * structure is unmatched, a division by zero (null) for detection rates of absent classes.
 */
export function officialMetrics(structures: readonly StructureResult[]): Record<string, number | null> {
  const vertebrae = structures.filter((s) => s.class === 'vertebra')
  const discs = structures.filter((s) => s.class === 'disc')
  const canal = structures.find((s) => s.class === 'canal')
  const detectedDice = (list: readonly StructureResult[]) => mean(list.filter((s) => s.detected).map((s) => s.dice))
  const detectionRate = (list: readonly StructureResult[]) =>
    list.length === 0 ? null : list.filter((s) => s.detected).length / list.length
  // np.mean over a list holding NaN (unmatched) is NaN; over an empty list too.
  const asdMean = (list: readonly StructureResult[]) => (list.some((s) => s.asd === null) ? null : mean(list.map((s) => s.asd as number)))
  return {
    DiceScoreVertebrae: detectedDice(vertebrae),
    DiceScoreDiscs: detectedDice(discs),
    DiceScoreSpinalCanal: canal ? canal.dice : MISSING_CANAL_SENTINEL,
    OveralDiceScore: mean(structures.map((s) => s.dice)),
    DetectionRateVertebrae: detectionRate(vertebrae),
    DetectionRateDiscs: detectionRate(discs),
    ASDVertebrae: asdMean(vertebrae),
    ASDDiscs: asdMean(discs),
    ASDSpinalCanal: canal ? canal.asd : MISSING_CANAL_SENTINEL,
    OveralASD: asdMean(structures),
  }
}
