// Preloaded (`NODE_OPTIONS=--import=.../preload.mjs`) by test/production-build.int.test.ts into
// the processes it audits: registers hooks.mjs, which appends "<thread id> <url>" for every ES
// module the process loads to the file named by MODULE_AUDIT_FILE. Worker threads run the
// preload too, so a thread's modules are logged under its own id (0 is the main thread).
import { register } from 'node:module'
import { threadId } from 'node:worker_threads'

if (process.env.MODULE_AUDIT_FILE)
  register(new URL('./hooks.mjs', import.meta.url), { data: { file: process.env.MODULE_AUDIT_FILE, threadId } })
