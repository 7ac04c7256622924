import { formatLeaderboard } from '../demo/leaderboard-table.ts'
import { parseCommandArgs, UsageError, type Command } from '../command.ts'
import { connect, participantCommand } from '../participant/command.ts'

const HELP = `usage: spider-bench leaderboard CHALLENGE PHASE [--at TIME] [--json]

The public leaderboard of a phase: rank, participant, rank score and each ranking metric.

  --at TIME   the leaderboard as it was at TIME (ISO 8601, e.g. 2026-11-30T12:00:00Z)
  --json      print the leaderboard document (JSON, exact values)

Needs only the server URL (spider-bench login, or SPIDER_BENCH_URL).`

export const command: Command = {
  summary: 'show the leaderboard of a phase (now or --at a past time)',
  async run(argv) {
    const args = parseCommandArgs(argv, HELP, { at: { type: 'string' }, json: { type: 'boolean', default: false } }, { positionals: true })
    if (!args) return 0
    const { values, positionals } = args
    if (positionals.length !== 2) throw new UsageError('expected CHALLENGE PHASE (see --help)')
    const [challenge, phase] = positionals
    if (values.at !== undefined && Number.isNaN(new Date(values.at).getTime()))
      throw new UsageError(`--at expects an ISO 8601 time such as 2026-11-30T12:00:00Z, got "${values.at}"`)
    return participantCommand('leaderboard', async () => {
      const client = await connect({ anonymous: true })
      const board = await client.leaderboard(challenge, phase, values.at)
      if (values.json) {
        console.log(JSON.stringify(board, null, 2))
        return 0
      }
      const when = board.computedAt ? `computed ${board.computedAt}` : 'no evaluation finished yet'
      console.log(`${board.challenge}/${board.phase}${values.at ? ` at ${values.at}` : ''}: ${when}`)
      console.log(formatLeaderboard(board))
      return 0
    })
  },
}
