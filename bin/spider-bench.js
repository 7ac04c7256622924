#!/usr/bin/env node
// Entry point of `npx spider-bench` and `npm start`. Runs the compiled build (packages/*/dist,
// apps/*/dist: `npm run build`, which postinstall also runs) when it is there and up to date;
// otherwise the TypeScript sources through tsx, after saying why on stderr.
// SPIDER_BENCH_RUNTIME chooses: `build` (the build only, never tsx; no check against the
// sources: what the Docker images run), `source` (the sources through tsx, silently: what the
// tests run), or `auto` (the default: as above).
import { buildState } from './build-state.js'

const mode = process.env.SPIDER_BENCH_RUNTIME || 'auto'
if (!['auto', 'build', 'source'].includes(mode)) {
  console.error(`spider-bench: SPIDER_BENCH_RUNTIME must be auto, build or source, got "${mode}"`)
  process.exit(2)
}
let useBuild = false
if (mode !== 'source') {
  const state = buildState({ checkSources: mode === 'auto' })
  useBuild = state.fresh
  if (!useBuild && mode === 'build') {
    console.error(`spider-bench: SPIDER_BENCH_RUNTIME=build, but ${state.reason}: run "npm run build"`)
    process.exit(2)
  }
  if (!useBuild) console.error(`spider-bench: ${state.reason}; running the TypeScript sources through tsx ("npm run build" compiles them)`)
}
let main
if (useBuild) {
  ;({ main } = await import('../packages/cli/dist/main.js'))
} else {
  const tsx = await import('tsx/esm/api').catch(() => null)
  if (!tsx) {
    console.error('spider-bench: cannot run the sources: tsx is not installed; build first ("npm run build", with the dev dependencies)')
    process.exit(2)
  }
  tsx.register()
  ;({ main } = await import('../packages/cli/src/main.ts'))
}
process.exitCode = await main(process.argv.slice(2))
