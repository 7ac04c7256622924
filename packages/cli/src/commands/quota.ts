import { parseCommandArgs, UsageError, type Command } from '../command.ts'
import { describeTime } from '../participant/client.ts'
import { connect, participantCommand } from '../participant/command.ts'

const HELP = `usage: spider-bench quota CHALLENGE PHASE [--json]

Your submission limit in a phase: how many submissions count in the current window, how many
are left, when the next one is allowed, and your submission queued or running, if any.

  --json    print the quota document (JSON)`

export const command: Command = {
  summary: 'your submission limit in a phase: used, left, next allowed time',
  async run(argv) {
    const args = parseCommandArgs(argv, HELP, { json: { type: 'boolean', default: false } }, { positionals: true })
    if (!args) return 0
    const { values, positionals } = args
    if (positionals.length !== 2) throw new UsageError('expected CHALLENGE PHASE (see --help)')
    const [challenge, phase] = positionals
    return participantCommand('quota', async () => {
      const client = await connect()
      const quota = await client.quota(challenge, phase)
      if (values.json) {
        console.log(JSON.stringify(quota, null, 2))
        return 0
      }
      const lines = [`${challenge}/${phase}:`]
      if (!quota.limit) lines.push(`  no submission limit (${quota.used} submission${quota.used === 1 ? '' : 's'} so far)`)
      else {
        lines.push(`  limit: ${quota.limit.count} submission${quota.limit.count === 1 ? '' : 's'} per ${quota.limit.periodHours} h`)
        lines.push(`  used:  ${quota.used} in the last ${quota.limit.periodHours} h; ${quota.remaining ?? 0} left`)
        if (quota.nextAt) lines.push(`  next submission allowed at ${describeTime(quota.nextAt)}`)
      }
      if (quota.activeSubmissionId)
        lines.push(
          `  submission ${quota.activeSubmissionId} is queued or running: ` +
            `the next one waits for it (spider-bench status ${quota.activeSubmissionId} --wait)`,
        )
      console.log(lines.join('\n'))
      return 0
    })
  },
}
