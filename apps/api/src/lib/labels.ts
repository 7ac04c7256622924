import { labelVolume, type Image3D } from '@spider-bench/scoring'

/** The distinct positive label values of a validated label image, ascending. */
export function distinctLabels(image: Image3D, file: string): number[] {
  const { labels, values } = labelVolume(image, file)
  const seen = new Uint8Array(65536)
  for (let i = 0; i < labels.length; i++) seen[labels[i]] = 1
  const out: number[] = []
  for (let v = 1; v < seen.length; v++) if (seen[v]) out.push(values ? values[v] : v)
  return out
}
