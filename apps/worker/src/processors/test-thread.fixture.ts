/** Stand-in thread body for scoring-pool tests: echoes, fails, crashes or fills its heap on request. */
import { parentPort, threadId } from 'node:worker_threads'
import type { ScoreInput } from './score-task.ts'

const port = parentPort
port?.on('message', ({ id, task }: { id: number; task: ScoreInput }) => {
  if (task.name === 'crash') process.exit(3)
  if (task.name === 'oom') {
    // Live JavaScript objects until the thread's heap limit stops it.
    const keep: number[][] = []
    for (;;) keep.push(Array.from({ length: 100_000 }, (_, i) => i + keep.length))
  }
  if (task.name === 'throw') {
    port.postMessage({ id, ok: false, error: { name: 'ImageError', message: `cannot read ${task.truthPath}` } })
    return
  }
  // Busy-wait a little so that several tasks overlap in time.
  const until = Date.now() + 50
  while (Date.now() < until);
  port.postMessage({
    id,
    ok: true,
    result: { name: task.name, sequence: 'unknown', status: 'scored', metrics: { thread: threadId }, structures: [] },
  })
})
port?.postMessage({ ready: true })
