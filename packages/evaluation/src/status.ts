/**
 * Statuses of submissions and evaluations (the `status` columns) and the transitions between
 * them. Each transition is the set of statuses a guarded update may move a row from
 * (`updateMany({ where: { status: { in: ... } } })`), so a retried or late job never moves a
 * row backwards. No imports: the CLI and the web app read the constants too.
 */
export const STATUS = {
  queued: 'queued',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
} as const

export type Status = (typeof STATUS)[keyof typeof STATUS]

export const STATUSES: readonly Status[] = Object.values(STATUS)
/** Waiting for or being evaluated: at most one such submission per participant and phase. */
export const ACTIVE_STATUSES = [STATUS.queued, STATUS.running] as const
/** Nothing more happens to an evaluation in these. */
export const TERMINAL_STATUSES = [STATUS.succeeded, STATUS.failed, STATUS.cancelled] as const

export function isStatus(value: string): value is Status {
  return (STATUSES as readonly string[]).includes(value)
}

export function isActive(status: string): boolean {
  return (ACTIVE_STATUSES as readonly string[]).includes(status)
}

export function isTerminal(status: string): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status)
}

/** Everything but cancelled: a cancelled submission stays cancelled whatever its evaluations do. */
const NOT_CANCELLED = [STATUS.queued, STATUS.running, STATUS.succeeded, STATUS.failed] as const

/**
 * An evaluation: queued → running → succeeded | failed; queued or running → cancelled (cancel)
 * or failed (a system fault, the watchdog). A re-evaluation is a new row.
 */
export const EVALUATION_TRANSITIONS = {
  [STATUS.running]: [STATUS.queued],
  [STATUS.succeeded]: ACTIVE_STATUSES,
  [STATUS.failed]: ACTIVE_STATUSES,
  [STATUS.cancelled]: ACTIVE_STATUSES,
} as const satisfies Partial<Record<Status, readonly Status[]>>

/**
 * A submission follows its newest evaluation: back to running (or queued, when the watchdog
 * requeues it) when a new one starts, even after it ended; cancelled is final.
 */
export const SUBMISSION_TRANSITIONS = {
  [STATUS.queued]: ACTIVE_STATUSES,
  [STATUS.running]: NOT_CANCELLED,
  [STATUS.succeeded]: NOT_CANCELLED,
  [STATUS.failed]: NOT_CANCELLED,
  [STATUS.cancelled]: ACTIVE_STATUSES,
} as const satisfies Record<Status, readonly Status[]>

/** The `where.status` of a guarded update of an evaluation to `to`. */
export function evaluationMovingTo(to: keyof typeof EVALUATION_TRANSITIONS): { in: Status[] } {
  return { in: [...EVALUATION_TRANSITIONS[to]] }
}

/** The `where.status` of a guarded update of a submission to `to`. */
export function submissionMovingTo(to: Status): { in: Status[] } {
  return { in: [...SUBMISSION_TRANSITIONS[to]] }
}

/** `where.status` of the rows in one of `statuses` (e.g. ACTIVE_STATUSES). */
export function statusIn(statuses: readonly Status[]): { in: Status[] } {
  return { in: [...statuses] }
}
