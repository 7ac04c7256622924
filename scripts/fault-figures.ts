/**
 * Prints the figures the fault suite measured (`npm run test:faults` runs it after the tests):
 * one block per case, one line per run, from FAULT_FIGURES_DIR (default bench-out/faults).
 */
import { readdir, readFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { join, resolve } from 'node:path'

const dir = resolve(process.env.FAULT_FIGURES_DIR || 'bench-out/faults')
let files: string[] = []
try {
  files = (await readdir(dir)).filter((f) => f.endsWith('.jsonl')).sort()
} catch {
  // nothing measured
}
if (files.length === 0) {
  console.log(`no fault figures in ${dir} (run npm run test:faults)`)
  process.exit(0)
}
console.log(
  `fault suite figures (${dir}); machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
)
for (const file of files) {
  const runs = (await readFile(join(dir, file), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
  console.log(`\n${file.replace(/\.jsonl$/, '')}: ${String(runs[0]?.fault ?? '')}`)
  for (const run of runs) {
    const figures = Object.entries(run)
      .filter(([k]) => k !== 'fault' && k !== 'at')
      .map(([k, v]) => `${k}=${typeof v === 'number' && /Ms$/.test(k) ? `${(v / 1000).toFixed(1)}s` : String(v)}`)
    console.log(`  ${figures.join('  ')}`)
  }
}
