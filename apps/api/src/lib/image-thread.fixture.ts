/** Stand-in image-thread body for image-validator tests: answers, crashes or fills its heap on request. */
import { parentPort, threadId } from 'node:worker_threads'
import type { ImageTask } from './image-checks.ts'

const port = parentPort
port?.on('message', ({ id, task }: { id: number; task: ImageTask }) => {
  const path = task.kind === 'prediction' ? task.path : task.mask.path
  if (path === 'crash.mha') process.exit(3)
  if (path === 'oom.mha') {
    // Live JavaScript objects until the thread's heap limit stops it.
    const keep: number[][] = []
    for (;;) keep.push(Array.from({ length: 100_000 }, (_, i) => i + keep.length))
  }
  // Busy-wait a little so that several tasks overlap in time.
  const until = Date.now() + 50
  while (Date.now() < until);
  port.postMessage({ id, ok: true, result: { problem: `${path} on thread ${threadId}` } })
})
port?.postMessage({ ready: true })
