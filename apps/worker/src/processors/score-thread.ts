/**
 * Body of a scoring thread: scores one series per message with the scoring library, so that
 * the CPU-heavy work never blocks the worker's event loop (BullMQ lock renewal, heartbeats).
 */
import { parentPort } from 'node:worker_threads'
import { scoreSeriesFiles } from '@spider-bench/scoring'
import type { ScoreTask, ThreadReply } from './score-task.ts'

if (!parentPort) throw new Error('score-thread.ts must run in a worker thread')
const port = parentPort

port.on('message', async (task: ScoreTask) => {
  let reply: ThreadReply
  try {
    const { id: _id, ...files } = task
    const result = await scoreSeriesFiles(files)
    reply = { id: task.id, ok: true, result }
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err))
    reply = { id: task.id, ok: false, error: { name: e.name, message: e.message } }
  }
  port.postMessage(reply)
})
// The scoring code is loaded (and transpiled) by now: the pool may count this thread warm.
port.postMessage({ ready: true })
