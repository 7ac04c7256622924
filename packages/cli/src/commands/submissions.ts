import { parseCommandArgs, UsageError, type Command } from '../command.ts'
import { connect, participantCommand } from '../participant/command.ts'
import type { SubmissionDocument } from '../participant/documents.ts'
import { describeState } from '../participant/output.ts'
import { textTable } from '../text-table.ts'

const HELP = `usage: spider-bench submissions [--challenge C --phase P] [--json]

Your submissions, newest first: id, phase, kind, status (queue position, progress), time
and error. Without --challenge and --phase: in every phase of every challenge.

  --json    print the submission documents (JSON array)`

/** A plain-text table of submissions. */
export function formatSubmissions(rows: readonly SubmissionDocument[]): string {
  if (rows.length === 0) return 'no submissions'
  const header = ['id', 'phase', 'kind', 'status', 'created', 'error']
  const body = rows.map((s) => [
    s.id,
    `${s.challenge}/${s.phase}`,
    s.kind,
    describeState(s),
    s.createdAt,
    (s.error ?? '').replace(/\s+/g, ' ').slice(0, 80),
  ])
  return textTable(header, body).join('\n')
}

export const command: Command = {
  summary: 'list your submissions (in one phase or everywhere)',
  async run(argv) {
    const args = parseCommandArgs(
      argv,
      HELP,
      { challenge: { type: 'string' }, phase: { type: 'string' }, json: { type: 'boolean', default: false } },
      { positionals: true },
    )
    if (!args) return 0
    const { values, positionals } = args
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (see --help)`)
    if ((values.challenge === undefined) !== (values.phase === undefined))
      throw new UsageError('give both --challenge and --phase, or neither')
    return participantCommand('submissions', async () => {
      const client = await connect()
      const phases = values.challenge
        ? [[values.challenge, values.phase as string]]
        : (await client.challenges()).flatMap((c) => c.phases.map((p) => [c.slug, p.slug]))
      const rows: SubmissionDocument[] = []
      for (const [c, p] of phases) rows.push(...(await client.submissions(c, p)))
      rows.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id))
      console.log(values.json ? JSON.stringify(rows, null, 2) : formatSubmissions(rows))
      return 0
    })
  },
}
