/**
 * Kinds of evaluation faults, as stored in `Evaluation.errorKind`: whose to fix, and whether a
 * job is retried.
 */
import { UnrecoverableError } from 'bullmq'

/**
 * A fault in the participant's input (e.g. a prediction found unreadable while scoring):
 * never retried; the submission fails with this message, which must tell the participant
 * what to fix. Every other error is a system fault, retried with backoff.
 */
export class InputFault extends UnrecoverableError {
  readonly kind = 'input'
}

export type FaultKind = 'input' | 'system'

export function faultKind(err: unknown): FaultKind {
  return err instanceof InputFault ? 'input' : 'system'
}

/** `errorKind` of an evaluation the watchdog stopped: a system fault, never the participant's. */
export const STALLED = 'stalled'

/** The participant-facing message of a failure. */
export function failureMessage(kind: FaultKind, message: string): string {
  return kind === 'input'
    ? message
    : `evaluation failed for a system reason (${message}); ` +
        'this does not count against your submission limit, and the organisers can re-evaluate it'
}
