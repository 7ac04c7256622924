/**
 * Storage key of the mask an algorithm submission's model predicted for one series of an
 * evaluation (written by the inference worker; the API renders canary previews from it).
 */
export function inferredPredictionKey(storagePrefix: string, evaluationId: string, seriesName: string): string {
  return `${storagePrefix}/inferred/${evaluationId}/${seriesName}.mha`
}
