import { describe, it, expect } from 'vitest'
import { UnrecoverableError } from 'bullmq'
import { isFinalFailure } from './failure-handler.ts'
import { failureMessage, faultKind, InputFault } from '@spider-bench/evaluation'

describe('failure classification', () => {
  it('retries system faults until the last attempt', () => {
    const err = new Error('connection reset')
    expect(isFinalFailure({ attemptsMade: 1, opts: { attempts: 5 } }, err)).toBe(false)
    expect(isFinalFailure({ attemptsMade: 4, opts: { attempts: 5 } }, err)).toBe(false)
    expect(isFinalFailure({ attemptsMade: 5, opts: { attempts: 5 } }, err)).toBe(true)
    expect(isFinalFailure({ attemptsMade: 1, opts: {} }, err)).toBe(true)
    expect(faultKind(err)).toBe('system')
  })

  it('never retries input faults, and tells them apart from other unrecoverable errors', () => {
    const input = new InputFault('prediction for series 1_t1 could not be scored')
    expect(input).toBeInstanceOf(UnrecoverableError)
    expect(isFinalFailure({ attemptsMade: 1, opts: { attempts: 5 } }, input)).toBe(true)
    expect(faultKind(input)).toBe('input')
    expect(faultKind(new UnrecoverableError('x'))).toBe('system')
  })

  it('words messages for the participant', () => {
    expect(failureMessage('input', 'prediction for series 1_t1 could not be scored: bad')).toBe(
      'prediction for series 1_t1 could not be scored: bad',
    )
    expect(failureMessage('system', 'ECONNRESET')).toMatch(
      /system reason \(ECONNRESET\); this does not count against your submission limit/,
    )
  })
})
