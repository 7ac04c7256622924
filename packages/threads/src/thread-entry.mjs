// Bootstrap of a pool thread: worker threads do not inherit the parent's tsx loader on
// Node 20, so register it here before importing the (TypeScript) thread body.
import { register } from 'tsx/esm/api'
import { workerData } from 'node:worker_threads'

register()
await import(workerData.module)
