import { mean } from '../stats.ts'
import type { StructureResult } from '../result.ts'
import type { StructureClass } from '../structures.ts'

/**
 * Series metrics of the default profile (SCORING.md "Profile spider"): class means over
 * detected structures, null where the class is absent or no value exists.
 */
export function spiderMetrics(structures: readonly StructureResult[], falsePositives: number): Record<string, number | null> {
  const of = (c: StructureClass) => structures.filter((s) => s.class === c)
  const detected = (list: readonly StructureResult[]) => list.filter((s) => s.detected)
  const vertebrae = of('vertebra')
  const discs = of('disc')
  const canal = of('canal')[0]
  const detectionRate = (list: readonly StructureResult[]) => (list.length === 0 ? null : detected(list).length / list.length)
  const meanOf = (list: readonly StructureResult[], pick: (s: StructureResult) => number | null) =>
    mean(detected(list).map((s) => pick(s) as number))
  const canalDetected = canal?.detected === true
  return {
    DiceVertebrae: meanOf(vertebrae, (s) => s.dice),
    DiceDiscs: meanOf(discs, (s) => s.dice),
    DiceSpinalCanal: canal ? canal.dice : null,
    DiceOverall: mean(structures.map((s) => s.dice)),
    DetectionVertebrae: detectionRate(vertebrae),
    DetectionDiscs: detectionRate(discs),
    DetectionSpinalCanal: canal ? (canalDetected ? 1 : 0) : null,
    ASDVertebrae: meanOf(vertebrae, (s) => s.asd),
    ASDDiscs: meanOf(discs, (s) => s.asd),
    ASDSpinalCanal: canalDetected ? canal.asd : null,
    ASDOverall: meanOf(structures, (s) => s.asd),
    HD95Vertebrae: meanOf(vertebrae, (s) => s.hd95),
    HD95Discs: meanOf(discs, (s) => s.hd95),
    HD95SpinalCanal: canalDetected ? canal.hd95 : null,
    FalsePositiveStructures: falsePositives,
  }
}
