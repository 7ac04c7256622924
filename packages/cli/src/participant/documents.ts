/** The REST documents the participant commands read (the parts they use). */
import { TERMINAL_STATUSES as SERVER_TERMINAL_STATUSES } from '@spider-bench/evaluation/status'
import type { LeaderboardLike } from '../demo/leaderboard-table.ts'

/** GET /api/v1/me */
export interface MeDocument {
  readonly id: string
  readonly name: string
  readonly role: string
}

/** A test series the phase publishes: its name and voxel grid size (never its content). */
export interface PublicSeries {
  readonly name: string
  readonly sequence?: string
  readonly size: readonly number[]
}

/** A phase inside GET /api/v1/challenges/:c */
export interface PhaseDocument {
  readonly slug: string
  readonly title: string
  readonly scoringProfile: string
  readonly submissionKinds: string[]
  readonly ranking: { method: string; metrics: Array<{ key: string; order: string }> }
  readonly submissionLimit: { count: number; periodHours: number } | null
  readonly opensAt: string | null
  readonly closesAt: string | null
  readonly perSeriesVisibility: string
  readonly testSet: { version: number; count: number; series?: PublicSeries[] } | null
}

/** GET /api/v1/challenges/:c/phases/:p/quota */
export interface QuotaDocument {
  readonly limit: { count: number; periodHours: number } | null
  readonly used: number
  readonly remaining: number | null
  readonly nextAt: string | null
  readonly activeSubmissionId: string | null
}

/** Where a queued submission waits (GET /submissions/:id and its events). */
export interface QueueState {
  /** Evaluations ahead plus 1; null once a series of it runs. */
  readonly queuePosition?: number | null
  /** When it should start (from the work ahead); null without data. */
  readonly estimatedStartAt?: string | null
  /** Why nothing happens (e.g. no inference worker connected); null when workers are there. */
  readonly waitingReason?: string | null
  /** What happened to an earlier run (stopped by the watchdog and queued again). */
  readonly notice?: string | null
}

/** GET /api/v1/submissions/:id */
export interface SubmissionDocument extends QueueState {
  readonly id: string
  readonly challenge: string
  readonly phase: string
  readonly participant: string
  readonly kind: string
  readonly status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'
  readonly progress: { done: number; total: number }
  readonly error?: string
  readonly createdAt: string
  readonly aggregates?: Record<
    string,
    { mean?: number | null; std?: number | null; median?: number | null; min?: number | null; max?: number | null; count?: number }
  >
}

/** A `progress` or `end` event of GET /submissions/:id/events */
export interface ProgressEvent extends QueueState {
  readonly submissionId: string
  readonly status: string
  readonly error?: string | null
  readonly evaluationId?: string | null
  readonly evaluationStatus?: string | null
  readonly progress?: { done: number; total: number }
}

/** GET /api/v1/submissions/:id/series */
export interface SeriesDocument {
  readonly submissionId: string
  readonly evaluationId: string | null
  readonly testSetVersion: number | null
  readonly series: Array<{
    name: string
    sequence: string
    status: string
    error: string | null
    metrics: Record<string, number | null>
    structures: unknown[]
  }>
}

/** GET /api/v1/challenges/:c/phases/:p/leaderboard */
export interface LeaderboardDocument extends LeaderboardLike {
  readonly challenge: string
  readonly phase: string
  readonly computedAt: string | null
}

/** Statuses after which nothing more happens to a submission. */
export const TERMINAL_STATUSES: ReadonlyArray<string> = SERVER_TERMINAL_STATUSES
