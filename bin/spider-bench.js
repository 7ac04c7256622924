#!/usr/bin/env node
// Entry point of `npx spider-bench`: runs the TypeScript sources directly through tsx,
// so the command works right after `npm ci` with no build step.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../packages/cli/src/main.ts')
process.exitCode = await main(process.argv.slice(2))
