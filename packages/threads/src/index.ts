/**
 * Worker threads for CPU-heavy work (scoring, generating, image checks): one pool and the
 * thread side that answers it. No I/O of its own beyond starting threads.
 */
export { ThreadPool, ThreadTaskError, ThreadExitError, runLanes, siblingModule, type ThreadPoolOptions } from './thread-pool.ts'
export { serveTasks } from './serve-tasks.ts'
export type { SerializedError } from './protocol.ts'
