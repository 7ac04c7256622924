import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { byteProgress } from '../byte-progress.ts'
import { parseCommandArgs, UsageError, type Command } from '../command.ts'
import { describeTime, type ParticipantClient } from '../participant/client.ts'
import { connect, participantCommand } from '../participant/command.ts'
import type { PhaseDocument } from '../participant/documents.ts'
import { ParticipantError } from '../participant/errors.ts'
import { followSubmission } from '../participant/follow.ts'
import { checkAlgorithm, checkPredictions } from '../participant/local-checks.ts'
import { evaluationProgress, reportOutcome } from '../participant/output.ts'
import { packTarGz, type UploadPart } from '../testset-upload.ts'

const HELP = `usage: spider-bench submit --challenge C --phase P DIR
       spider-bench submit --challenge C --phase P --model model.onnx --config config.json

Submits a folder of predicted masks (one per test series, named like the series: 1_t1.mha,
...) or an algorithm (an ONNX model and its config.json), then follows its evaluation and
prints the results. Before uploading it checks what can be checked locally: the phase is
open and accepts this kind, your limit is not reached, every image is readable and holds
integer labels, one file per series, and (when the phase publishes its series names and
sizes) no series missing, no unknown name and every size right; an algorithm's config is
validated and its model loaded and run on one patch with onnxruntime. Predictions go
straight to the server's object store where it has one (a presigned upload that the server
then validates), else through the server.

  --challenge C   the challenge (slug)
  --phase P       the phase (slug)
  --model FILE    the ONNX model of an algorithm submission (with --config)
  --config FILE   the algorithm's config.json (with --model)
  --skip-checks   upload at once, without the checks above (the server makes them all)
  --no-wait       return after the upload, printing the submission id
  --json          print the submission document (JSON) instead of the results table

Uses the login of "spider-bench login" (or SPIDER_BENCH_URL and SPIDER_BENCH_TOKEN).
exit codes: 0 the evaluation succeeded (or --no-wait: the upload was accepted); 2 the
evaluation failed (every reason printed); 1 usage, local check, refusal or connection error.`

/** Clocks differ: within this margin of opensAt/closesAt the server's answer decides. */
const CLOCK_SLACK_MS = 5 * 60_000

/** Refusals the phase document and the quota tell before anything is packed or sent. */
async function admission(
  client: ParticipantClient,
  challenge: string,
  phaseSlug: string,
  kind: 'predictions' | 'algorithm',
  skip: boolean,
): Promise<PhaseDocument> {
  const phase = await client.phase(challenge, phaseSlug)
  if (skip) return phase
  const where = `phase "${phaseSlug}" of challenge "${challenge}"`
  if (!phase.submissionKinds.includes(kind))
    throw new ParticipantError(`${where} accepts ${phase.submissionKinds.join(' and ')} submissions, not ${kind}`)
  // The server's clock decides; refused here only when this clock is well past the window.
  const now = Date.now()
  if (phase.opensAt && now < new Date(phase.opensAt).getTime() - CLOCK_SLACK_MS)
    throw new ParticipantError(`${where} is not open yet: it opens at ${describeTime(phase.opensAt, now)}`)
  if (phase.closesAt && now >= new Date(phase.closesAt).getTime() + CLOCK_SLACK_MS)
    throw new ParticipantError(`${where} is closed: it closed at ${describeTime(phase.closesAt, now)}; it accepts no more submissions`)
  if (!phase.testSet) throw new ParticipantError(`${where} has no test set yet; submissions open once the organisers upload one`)
  // Also checks the token before any work.
  const quota = await client.quotaIfServed(challenge, phaseSlug)
  if (quota?.activeSubmissionId) {
    throw new ParticipantError(
      `you already have submission ${quota.activeSubmissionId} queued or running in ${where}; ` +
        `wait for it to finish (spider-bench status ${quota.activeSubmissionId} --wait)`,
    )
  }
  if (quota && quota.remaining === 0 && quota.limit) {
    const next = quota.nextAt ? `; the next submission is allowed at ${describeTime(quota.nextAt, now)}` : ''
    throw new ParticipantError(
      `submission limit reached in ${where}: ${quota.used} of ${quota.limit.count} per ${quota.limit.periodHours} h used${next}`,
    )
  }
  if (!quota) await client.me()
  return phase
}

export const command: Command = {
  summary: 'check, upload and follow a submission (predictions folder or ONNX algorithm)',
  async run(argv) {
    const args = parseCommandArgs(
      argv,
      HELP,
      {
        challenge: { type: 'string' },
        phase: { type: 'string' },
        model: { type: 'string' },
        config: { type: 'string' },
        'no-wait': { type: 'boolean', default: false },
        'skip-checks': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
      { positionals: true },
    )
    if (!args) return 0
    const { values, positionals } = args
    const challenge = values.challenge
    const phaseSlug = values.phase
    if (!challenge) throw new UsageError('--challenge C is required (see --help)')
    if (!phaseSlug) throw new UsageError('--phase P is required (see --help)')
    const algorithm = values.model !== undefined || values.config !== undefined
    if (algorithm && (!values.model || !values.config)) throw new UsageError('an algorithm needs both --model FILE and --config FILE')
    if (algorithm && positionals.length > 0) throw new UsageError('give either a predictions folder or --model/--config, not both')
    if (!algorithm && positionals.length !== 1)
      throw new UsageError(
        `expected one predictions folder (or --model and --config), got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`,
      )
    const json = values.json
    // With --json stdout carries only the document; the rest goes to stderr.
    const say = json ? (line: string) => console.error(line) : (line: string) => console.log(line)

    return participantCommand('submit', async () => {
      const client = await connect()
      const kind = algorithm ? 'algorithm' : 'predictions'
      const phase = await admission(client, challenge, phaseSlug, kind, values['skip-checks'])
      const work = await mkdtemp(join(tmpdir(), 'spider-submit-'))
      try {
        let parts: UploadPart[]
        if (algorithm) {
          const model = values.model as string
          const config = values.config as string
          const problems = values['skip-checks'] ? [] : await checkAlgorithm(model, config)
          if (problems.length > 0)
            throw new ParticipantError(
              [
                `the algorithm has ${problems.length} problem${problems.length === 1 ? '' : 's'} (nothing was uploaded):`,
                ...problems.map((p) => `  - ${p}`),
              ].join('\n'),
            )
          if (!values['skip-checks'])
            say(`checked locally: ${basename(config)} is a valid config; ${basename(model)} loads in onnxruntime and runs on one patch`)
          parts = [
            { name: 'kind', value: 'algorithm' },
            { name: 'model', file: model, filename: basename(model) },
            { name: 'config', file: config, filename: basename(config) },
          ]
        } else {
          const dir = positionals[0]
          const skip = values['skip-checks']
          const expected = phase.testSet?.series ?? null
          const reading = process.stderr.isTTY
            ? (done: number, total: number) => process.stderr.write(`\rchecking ${done}/${total} files`)
            : undefined
          const checked = await checkPredictions(dir, skip ? null : expected, reading, skip)
          if (reading) process.stderr.write('\n')
          if (checked.ignored.length > 0)
            console.error(
              `ignoring ${checked.ignored.length} file${checked.ignored.length === 1 ? '' : 's'} ` +
                `that ${checked.ignored.length === 1 ? 'is' : 'are'} not an image: ${checked.ignored.join(', ')}`,
            )
          if (checked.problems.length > 0) {
            throw new ParticipantError(
              [
                `the predictions have ${checked.problems.length} problem${checked.problems.length === 1 ? '' : 's'} ` +
                  '(nothing was uploaded):',
                ...checked.problems.map((p) => `  - ${p}`),
              ].join('\n'),
            )
          }
          if (!skip)
            say(
              `checked locally: ${checked.files.length} label images` +
                (expected
                  ? `, one per test series with its size (${expected.length} series)`
                  : ' (the phase publishes no series list: names and sizes are checked by the server)'),
            )
          const archive = join(work, 'predictions.tar.gz')
          await packTarGz(dir, checked.files, archive)
          parts = [
            { name: 'kind', value: 'predictions' },
            { name: 'predictions', file: archive, filename: 'predictions.tar.gz' },
          ]
        }
        const total = (await Promise.all(parts.map(async (p) => ('file' in p ? (await stat(p.file)).size : 0)))).reduce((a, b) => a + b, 0)
        let bar = byteProgress('uploading', total)
        // Predictions go straight to the server's object store where it has one.
        const archive = kind === 'predictions' ? parts.find((p) => 'file' in p && p.name === 'predictions') : undefined
        const direct =
          archive && 'file' in archive
            ? await client
                .submitDirect(challenge, phaseSlug, archive.file, (sent) => bar.update(sent))
                .catch((err: unknown) => {
                  bar.end()
                  throw err
                })
            : null
        if (direct) {
          bar.end()
          console.error("sent the archive directly to the server's object store")
        }
        const { id, retried } = direct
          ? { ...direct, retried: false }
          : await client
              .submit(
                challenge,
                phaseSlug,
                parts,
                (sent) => bar.update(sent),
                (note) => {
                  bar.end()
                  console.error(note)
                  bar = byteProgress('uploading', total)
                },
              )
              .finally(() => bar.end())
        say(`submitted ${kind}${retried ? ' (second attempt)' : ''}: ${id}`)
        if (values['no-wait']) {
          if (json) console.log(JSON.stringify(await client.submission(id), null, 2))
          else say(`follow it with: spider-bench status ${id} --wait`)
          return 0
        }
        const progress = evaluationProgress()
        let final
        try {
          final = await followSubmission(client, id, {
            onUpdate: (s) => progress.update(s),
            onFallback: (why) => progress.note(`${why}; polling the status instead`),
          })
        } finally {
          progress.end()
        }
        return await reportOutcome(client, final, phase.scoringProfile, json)
      } finally {
        await rm(work, { recursive: true, force: true })
      }
    })
  },
}
