import { tooManyRequests } from '../errors.ts'

/** What a refused upload is told to wait: about the time a typical model validation takes. */
export const VALIDATION_RETRY_AFTER_SECONDS = 10

/**
 * A cap on model validations running at once in this API process (each one is a model
 * process with up to the validation memory limit): `enter` takes a place or throws 429 with
 * Retry-After; the returned function gives it back (idempotent).
 */
export class ValidationGate {
  private running = 0

  constructor(readonly limit: number) {}

  /** Validations running now. */
  get active(): number {
    return this.running
  }

  enter(): () => void {
    if (this.running >= this.limit) {
      throw tooManyRequests(
        `the server is validating ${this.running} model${this.running === 1 ? '' : 's'} already ` +
          `(at most ${this.limit} at once, MAX_CONCURRENT_MODEL_VALIDATIONS); send the submission again in a few seconds`,
        VALIDATION_RETRY_AFTER_SECONDS,
      )
    }
    this.running++
    let left = false
    return () => {
      if (left) return
      left = true
      this.running--
    }
  }
}
