/** Dice = 2|G∩P| / (|G|+|P|), written as the official scorer computes it so that a Dice of exactly 0.1 compares equal. */
export function dice(overlap: number, truthCount: number, predCount: number): number {
  if (truthCount + predCount === 0) throw new Error('Dice of two empty masks is undefined')
  return (2 * overlap) / (truthCount + predCount)
}

export const DETECTION_THRESHOLD = 0.1

export function isDetected(diceScore: number): boolean {
  return diceScore >= DETECTION_THRESHOLD
}
