/**
 * Body of an image-validation thread (see image-validator.ts): runs one image task per
 * message and answers with its result, so that decoding never blocks the API's event loop.
 */
import { parentPort } from 'node:worker_threads'
import { runImageTask, type ImageTask } from './image-checks.ts'

if (!parentPort) throw new Error('image-thread.ts must run in a worker thread')
const port = parentPort

port.on('message', async (message: { id: number; task: ImageTask }) => {
  try {
    port.postMessage({ id: message.id, ok: true, result: await runImageTask(message.task) })
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err))
    port.postMessage({ id: message.id, ok: false, error: { name: e.name, message: e.stack ?? e.message } })
  }
})
port.postMessage({ ready: true })
