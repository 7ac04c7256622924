import { conflict, forbidden, tooManyRequests } from '../errors.ts'

interface PhaseWindow {
  readonly slug: string
  readonly opensAt: Date | null
  readonly closesAt: Date | null
}

/** 403 naming the dates when the phase is not open at `now`. */
export function assertPhaseOpen(phase: PhaseWindow, now: Date): void {
  const details = { opensAt: phase.opensAt?.toISOString() ?? null, closesAt: phase.closesAt?.toISOString() ?? null, now: now.toISOString() }
  if (phase.opensAt && now < phase.opensAt)
    throw forbidden(`phase "${phase.slug}" is not open yet: it opens at ${details.opensAt} (now ${details.now})`, details)
  if (phase.closesAt && now >= phase.closesAt)
    throw forbidden(`phase "${phase.slug}" is closed: it closed at ${details.closesAt} (now ${details.now})`, details)
}

/** 409 when the participant already has a submission queued or running in the phase. */
export function assertNoActiveSubmission(active: { id: string; status: string } | null): void {
  if (active)
    throw conflict(`you already have submission ${active.id} ${active.status} in this phase; wait for it to finish or cancel it`, {
      submissionId: active.id,
      status: active.status,
    })
}

/**
 * Where a participant stands against `limit.count` submissions per `limit.periodHours`:
 * counted submissions in the window, what remains, and (when none remains) when the oldest
 * of them leaves the window, which allows the next one.
 */
export function limitState(
  limit: { count: number; periodHours: number },
  recent: Date[],
  now: Date,
): { used: number; remaining: number; nextAt: Date | null } {
  const periodMs = limit.periodHours * 3_600_000
  const inWindow = recent.filter((d) => d.getTime() > now.getTime() - periodMs).sort((a, b) => a.getTime() - b.getTime())
  const remaining = Math.max(0, limit.count - inWindow.length)
  const nextAt = remaining > 0 ? null : new Date(inWindow[inWindow.length - limit.count].getTime() + periodMs)
  return { used: inWindow.length, remaining, nextAt }
}

/**
 * 429 when `limit.count` counted submissions fall within the last `limit.periodHours`;
 * the next one is allowed when the oldest of them leaves the window.
 */
export function assertWithinLimit(limit: { count: number | null; periodHours: number | null }, recent: Date[], now: Date): void {
  if (limit.count == null || limit.periodHours == null) return
  const { nextAt: next } = limitState({ count: limit.count, periodHours: limit.periodHours }, recent, now)
  if (next === null) return
  throw tooManyRequests(
    `submission limit reached (${limit.count} per ${limit.periodHours} h); the next submission is allowed at ${next.toISOString()}`,
    (next.getTime() - now.getTime()) / 1000,
    { limit: limit.count, periodHours: limit.periodHours, nextAllowedAt: next.toISOString() },
  )
}
