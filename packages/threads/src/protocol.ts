/** Messages between a ThreadPool and its threads (thread bodies answer through serveTasks). */
export interface TaskMessage<Task> {
  readonly id: number
  readonly task: Task
}

/** An error thrown by a thread body: its name, message and plain-data details (e.g. a file). */
export interface SerializedError {
  readonly name: string
  readonly message: string
  readonly details?: Record<string, unknown>
}

export type ReplyMessage<Result> =
  | { readonly id: number; readonly ok: true; readonly result: Result }
  | { readonly id: number; readonly ok: false; readonly error: SerializedError }
  /** Sent once when the thread body is loaded (its imports transpiled and evaluated). */
  | { readonly ready: true }
