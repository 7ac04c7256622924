/**
 * Redis pub/sub channel on which workers announce a new leaderboard snapshot (message: the
 * phase id), so that API processes drop their cached board at once instead of polling the
 * database. Same prefix rule as the queue names.
 */
export function leaderboardChannel(prefix = process.env.SPIDER_QUEUE_PREFIX ?? ''): string {
  return prefix ? `${prefix}-spider-leaderboard` : 'spider-leaderboard'
}
