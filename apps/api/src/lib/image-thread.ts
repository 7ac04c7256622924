/**
 * Body of an image-validation thread (see image-validator.ts): runs one image task per
 * message and answers with its result, so that decoding never blocks the API's event loop.
 */
import { serveTasks } from '@spider-bench/threads'
import { runImageTask, type ImageTask } from './image-checks.ts'

serveTasks(
  (task: ImageTask) => runImageTask(task),
  (err) => {
    const e = err instanceof Error ? err : new Error(String(err))
    return { name: e.name, message: e.stack ?? e.message }
  },
)
