import { parseCommandArgs, UsageError, type Command } from '../command.ts'
import { connect, participantCommand } from '../participant/command.ts'
import { TERMINAL_STATUSES } from '../participant/documents.ts'
import { followSubmission } from '../participant/follow.ts'
import { evaluationProgress, reportOutcome, submissionLine } from '../participant/output.ts'

const HELP = `usage: spider-bench status ID [--wait] [--json]

Shows a submission's status (queue position while it waits, progress while it runs) and,
once it succeeded, its aggregate results; a failed submission lists every reason.

  --wait    follow the evaluation until it ends (progress bar), then print the results
  --json    print the submission document (JSON)

exit codes: 0 succeeded, queued or running; 2 failed or cancelled; 1 usage or connection error.`

export const command: Command = {
  summary: 'show (or --wait for) the status and results of a submission',
  async run(argv) {
    const args = parseCommandArgs(
      argv,
      HELP,
      { wait: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
      { positionals: true },
    )
    if (!args) return 0
    const { values, positionals } = args
    if (positionals.length !== 1)
      throw new UsageError(`expected one submission id, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`)
    const id = positionals[0]
    return participantCommand('status', async () => {
      const client = await connect()
      let doc = await client.submission(id)
      if (values.wait && !TERMINAL_STATUSES.includes(doc.status)) {
        const progress = evaluationProgress()
        try {
          doc = await followSubmission(client, id, {
            onUpdate: (s) => progress.update(s),
            onFallback: (why) => progress.note(`${why}; polling the status instead`),
          })
        } finally {
          progress.end()
        }
      }
      if (!TERMINAL_STATUSES.includes(doc.status)) {
        console.log(values.json ? JSON.stringify(doc, null, 2) : submissionLine(doc))
        return 0
      }
      const phase = await client.phase(doc.challenge, doc.phase)
      return reportOutcome(client, doc, phase.scoringProfile, values.json)
    })
  },
}
