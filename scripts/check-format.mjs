#!/usr/bin/env node
// The format check run by CI (`npm run format:check`): Prettier's check, then the one rule
// Prettier does not enforce by itself (it never breaks strings or comments): no line of a
// source file is longer than 140 characters. `npm run format` rewrites what Prettier can.
import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

const MAX = 140
/** Source files under the rule: what Prettier formats, less generated data and test vectors. */
const SOURCE = /\.(ts|tsx|js|mjs|cjs|json|css|html|ya?ml)$/
const EXEMPT = [/^package-lock\.json$/, /(^|\/)generated\//, /(^|\/)fixtures\//, /^prisma\/migrations\//]

const prettier = spawnSync('npx', ['prettier', '--check', '--log-level', 'warn', '.'], { stdio: 'inherit' })
let long = 0
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' }).split('\n')
for (const file of files) {
  if (!SOURCE.test(file) || EXEMPT.some((pattern) => pattern.test(file))) continue
  let text
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    continue // deleted in the working tree
  }
  text.split('\n').forEach((line, i) => {
    if (line.length > MAX) {
      long++
      console.error(`${file}:${i + 1}: line of ${line.length} characters (at most ${MAX})`)
    }
  })
}
if (long > 0) console.error(`${long} line(s) longer than ${MAX} characters: break the string or comment by hand`)
if (prettier.status !== 0) console.error('Prettier: files above are not formatted; run `npm run format`')
process.exit(prettier.status === 0 && long === 0 ? 0 : 1)
