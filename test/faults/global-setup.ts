/**
 * `npm run test:faults` only: starts from an empty FAULT_FIGURES_DIR (this run's figures),
 * and stops what an earlier, killed run of the suite left running.
 */
import { rm } from 'node:fs/promises'
import { resolve } from 'node:path'
import { cleanOrphans } from './services.ts'

export default async function setup(): Promise<void> {
  await cleanOrphans()
  const dir = process.env.FAULT_FIGURES_DIR || 'bench-out/faults'
  await rm(resolve(dir), { recursive: true, force: true })
}
