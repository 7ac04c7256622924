/**
 * Options every spider-bench job shares; each queue's module (queues/*.ts) builds its own
 * from these. System faults are retried with exponential backoff.
 */
export const SYSTEM_FAULT_RETRY = { attempts: 5, backoff: { type: 'exponential', delay: 2000 } } as const

/** Failed jobs stay a week for inspection; completed ones go, freeing their id. */
export const KEEP_JOBS = { removeOnComplete: true, removeOnFail: { age: 7 * 24 * 3600 } } as const
