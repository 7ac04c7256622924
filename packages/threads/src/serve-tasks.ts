import { parentPort } from 'node:worker_threads'
import type { ReplyMessage, SerializedError, TaskMessage } from './protocol.ts'

const plain = (err: unknown): SerializedError => {
  const e = err instanceof Error ? err : new Error(String(err))
  return { name: e.name, message: e.message }
}

/**
 * The body of a pool thread: runs `handle` on each task it is sent, one at a time, answers
 * with the result or the error (`describe` turns an error into plain data; default: name and
 * message), and tells the pool it is loaded. Call it at the top level of the thread module.
 */
export function serveTasks<Task, Result>(
  handle: (task: Task) => Promise<Result> | Result,
  describe: (err: unknown) => SerializedError = plain,
): void {
  const port = parentPort
  if (!port) throw new Error('serveTasks must run in a worker thread')
  port.on('message', ({ id, task }: TaskMessage<Task>) => {
    Promise.resolve()
      .then(() => handle(task))
      .then(
        (result) => port.postMessage({ id, ok: true, result } satisfies ReplyMessage<Result>),
        (err: unknown) => port.postMessage({ id, ok: false, error: describe(err) } satisfies ReplyMessage<Result>),
      )
  })
  port.postMessage({ ready: true } satisfies ReplyMessage<Result>)
}
