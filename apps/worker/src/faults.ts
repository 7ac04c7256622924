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
