import { existsSync } from 'node:fs'
import { mkdir, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { isTerminal } from '@spider-bench/evaluation/status'
import { ensureRedis, type LocalRedis } from '../local-redis.ts'
import { packTarGz, testSetFiles } from '../testset-upload.ts'
import { startServer, type RunningServer } from '../server.ts'
import { loadDemoState, saveDemoState, type DemoState } from './demo-state.ts'
import { formatLeaderboard, type LeaderboardLike } from './leaderboard-table.ts'
import { ApiCallError, RestClient } from './rest-client.ts'

export const DEMO_CHALLENGE = 'spider-demo'
export const DEMO_PHASE = 'test'

/** Participants and the seeded recipe that turns the reference masks into their predictions. */
export const DEMO_PARTICIPANTS: ReadonlyArray<{ name: string; spec: string; blurb: string }> = [
  { name: 'alice', spec: 'noise:0.05', blurb: 'boundary noise only' },
  { name: 'bob', spec: 'dilate:1', blurb: 'every structure one voxel too big' },
  { name: 'carol', spec: 'drop:disc,shift:1', blurb: 'a missed disc, shifted by a voxel' },
  { name: 'dave', spec: 'merge,fp:2,erode:1', blurb: 'two vertebrae merged, false positives, eroded' },
]

/** The participant who submits the example ONNX algorithm (run by the server itself). */
export const DEMO_ALGORITHM_PARTICIPANT = 'eve'

/** The SPIDER columns: Dice, ASD and detection per structure class. */
export const DEMO_RANKING = {
  method: 'mean-position',
  metrics: [
    { key: 'DiceVertebrae', order: 'desc' },
    { key: 'DiceDiscs', order: 'desc' },
    { key: 'DiceSpinalCanal', order: 'desc' },
    { key: 'ASDVertebrae', order: 'asc' },
    { key: 'ASDDiscs', order: 'asc' },
    { key: 'ASDSpinalCanal', order: 'asc' },
    { key: 'DetectionVertebrae', order: 'desc' },
    { key: 'DetectionDiscs', order: 'desc' },
  ],
} as const

export interface DemoOptions {
  readonly dataDir: string
  readonly redisUrl: string
  readonly port: number
  readonly host: string
  readonly studies: number
  /** Server logs go here (the terminal shows the demo's own steps). */
  readonly logger: Logger
  readonly say: (line: string) => void
}

export interface RunningDemo {
  readonly server: RunningServer
  readonly redis: LocalRedis
  readonly board: LeaderboardLike
  close(): Promise<void>
}

interface SubmissionView {
  id: string
  status: string
  progress: { done: number; total: number }
  error?: string
}

async function seriesFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.mha')).sort()
}

/** Creates the demo users once; their tokens are kept in the state file. */
async function ensureUsers(server: RunningServer, state: DemoState, say: (line: string) => void): Promise<void> {
  let created = 0
  const { createUser } = await import('@spider-bench/evaluation')
  const wanted: Array<[string, string]> = [
    ['demo-admin', 'admin'],
    ['demo-organiser', 'organiser'],
    ...DEMO_PARTICIPANTS.map((p): [string, string] => [p.name, 'participant']),
    [DEMO_ALGORITHM_PARTICIPANT, 'participant'],
  ]
  for (const [name, role] of wanted) {
    if (state.users[name]) continue
    const user = await createUser(server.db.prisma, name, role)
    state.users[name] = { id: user.id, role, token: user.token }
    created++
    say(`  created ${role} "${name}"`)
  }
  if (created === 0) say(`  reusing ${wanted.length} users`)
}

async function ensureChallenge(
  api: RestClient,
  organiser: string,
  synthDir: string,
  sanityDir: string,
  workDir: string,
  say: (line: string) => void,
): Promise<void> {
  try {
    await api.call('GET', `/api/v1/challenges/${DEMO_CHALLENGE}`)
  } catch (err) {
    if (!(err instanceof ApiCallError && err.status === 404)) throw err
    await api.call('POST', '/api/v1/challenges', organiser, {
      slug: DEMO_CHALLENGE,
      title: 'SPIDER demo: lumbar spine segmentation',
      description: 'Synthetic SPIDER-like series made by `spider-bench synth`; vertebrae, discs and spinal canal.',
    })
    say(`  created challenge "${DEMO_CHALLENGE}"`)
  }
  const challenge = await api.call<{ phases: Array<{ slug: string }> }>('GET', `/api/v1/challenges/${DEMO_CHALLENGE}`)
  if (!challenge.phases.some((p) => p.slug === DEMO_PHASE)) {
    await api.call('POST', `/api/v1/challenges/${DEMO_CHALLENGE}/phases`, organiser, {
      slug: DEMO_PHASE,
      title: 'Hidden test set',
      scoringProfile: 'spider',
      submissionKinds: ['predictions', 'algorithm'],
      ranking: DEMO_RANKING,
      entries: 'best',
      submissionLimit: { count: 50, periodHours: 24 },
      perSeriesVisibility: 'owner',
    })
    say(`  created phase "${DEMO_PHASE}" (profile spider, ${DEMO_RANKING.method} over ${DEMO_RANKING.metrics.length} SPIDER columns)`)
    const phasePath = `/api/v1/challenges/${DEMO_CHALLENGE}/phases/${DEMO_PHASE}`
    for (const [dir, route, what] of [
      [synthDir, 'test-set', 'the hidden test set'],
      [sanityDir, 'sanity-set', 'public sanity cases (canary runs of algorithms)'],
    ] as const) {
      const archive = join(workDir, `${route}.tar.gz`)
      await packTarGz(dir, await testSetFiles(dir), archive)
      const uploaded = await api.upload<{ version: number; count: number }>('PUT', `${phasePath}/${route}`, organiser, {}, { archive })
      await rm(archive, { force: true })
      say(`  uploaded ${what}: ${uploaded.count} series (version ${uploaded.version})`)
    }
  } else say(`  reusing ${DEMO_CHALLENGE}/${DEMO_PHASE} and its test set`)
}

async function submitPredictions(
  api: RestClient,
  state: DemoState,
  synthDir: string,
  workDir: string,
  say: (line: string) => void,
): Promise<void> {
  for (const p of DEMO_PARTICIPANTS) {
    if (state.submissions[p.name]) {
      say(`  ${p.name}: reusing submission ${state.submissions[p.name]}`)
      continue
    }
    const dir = join(synthDir, 'predictions', p.name)
    const archive = join(workDir, `${p.name}.tar.gz`)
    await packTarGz(dir, await seriesFiles(dir), archive)
    const res = await api.upload<{ id: string }>(
      'POST',
      `/api/v1/challenges/${DEMO_CHALLENGE}/phases/${DEMO_PHASE}/submissions`,
      state.users[p.name].token,
      { kind: 'predictions' },
      { predictions: archive },
    )
    await rm(archive, { force: true })
    state.submissions[p.name] = res.id
    say(`  ${p.name} submitted predictions (${p.blurb}): ${res.id}`)
  }
}

/** Trains the example algorithm once (kept in `dir`), then submits it as an algorithm. */
async function submitAlgorithm(api: RestClient, state: DemoState, dir: string, say: (line: string) => void): Promise<void> {
  const name = DEMO_ALGORITHM_PARTICIPANT
  if (state.submissions[name]) {
    say(`  ${name}: reusing submission ${state.submissions[name]}`)
    return
  }
  const model = join(dir, 'model.onnx')
  const config = join(dir, 'config.json')
  if (!existsSync(model) || !existsSync(config)) {
    say(`  training the example ONNX algorithm in ${dir} (a few minutes on the CPU, once) ...`)
    const { writeExampleAlgorithm } = await import('@spider-bench/inference/example')
    await writeExampleAlgorithm(dir)
  }
  const res = await api.upload<{ id: string }>(
    'POST',
    `/api/v1/challenges/${DEMO_CHALLENGE}/phases/${DEMO_PHASE}/submissions`,
    state.users[name].token,
    { kind: 'algorithm' },
    { model, config },
  )
  state.submissions[name] = res.id
  say(`  ${name} submitted the example ONNX algorithm (the server runs it on the hidden images): ${res.id}`)
}

async function waitForEvaluations(api: RestClient, state: DemoState, say: (line: string) => void): Promise<void> {
  const pending = new Map(Object.entries(state.submissions))
  let last = ''
  while (pending.size > 0) {
    const parts: string[] = []
    for (const [name, id] of pending) {
      const s = await api.call<SubmissionView>('GET', `/api/v1/submissions/${id}`, state.users[name].token)
      if (isTerminal(s.status)) {
        pending.delete(name)
        say(`  ${name}: ${s.status}${s.error ? ` (${s.error})` : ''}`)
      } else parts.push(`${name} ${s.progress.done}/${s.progress.total}`)
    }
    const line = parts.join(', ')
    if (line && line !== last && process.stdout.isTTY) process.stdout.write(`\r  scoring: ${line}   `)
    last = line
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 500))
  }
  if (process.stdout.isTTY && last) process.stdout.write('\n')
}

/**
 * The whole demo: Redis, the server with its worker, a synthetic test set, a challenge and
 * phase, users, graded submissions, their evaluations and the leaderboard. Everything lives
 * in `dataDir`; a second run reuses it.
 */
export async function runDemo(options: DemoOptions): Promise<RunningDemo> {
  const { say } = options
  const demoDir = join(options.dataDir, 'demo')
  const synthDir = join(demoDir, 'synth')
  const sanityDir = join(demoDir, 'sanity')
  const workDir = join(demoDir, 'uploads')
  const stateFile = join(demoDir, 'state.json')
  await mkdir(workDir, { recursive: true })

  const redis = await ensureRedis(options.redisUrl, join(options.dataDir, 'redis'))
  say(
    redis.started
      ? `Redis: started a private redis-server at ${redis.url} (data in ${join(options.dataDir, 'redis')})`
      : `Redis: using ${redis.url}`,
  )
  let server: RunningServer
  try {
    server = await startServer({
      overrides: { dataDir: options.dataDir, redisUrl: redis.url, port: options.port, host: options.host, databaseUrl: null },
      logger: options.logger,
      inference: true,
    })
  } catch (err) {
    await redis.stop()
    throw err
  }
  const close = async () => {
    await server.close()
    await redis.stop()
  }
  try {
    say(`Server: ${server.url} (embedded database in ${join(options.dataDir, 'db')}; scoring and inference workers in-process)`)
    const state = await loadDemoState(stateFile)

    if (!existsSync(join(synthDir, 'overview.csv'))) {
      say(`Generating a synthetic test set (${options.studies} studies) and graded predictions in ${synthDir} ...`)
      const { synthesize } = await import('@spider-bench/synth')
      const result = await synthesize({
        out: synthDir,
        studies: options.studies,
        seed: 2024,
        size: 'small',
        predictions: Object.fromEntries(DEMO_PARTICIPANTS.map((p) => [p.name, p.spec])),
        force: true,
      })
      say(`  ${result.series.length} series`)
    } else say(`Synthetic test set: reusing ${synthDir}`)
    if (!existsSync(join(sanityDir, 'overview.csv'))) {
      const { synthesize } = await import('@spider-bench/synth')
      // Another seed: the public sanity cases are not copies of hidden series.
      await synthesize({ out: sanityDir, studies: 1, seed: 77, size: 'small', sequences: ['t1', 't2'], force: true })
    }

    say('Users:')
    await ensureUsers(server, state, say)
    await saveDemoState(stateFile, state)
    const api = new RestClient(server.url)
    say('Challenge:')
    await ensureChallenge(api, state.users['demo-organiser'].token, synthDir, sanityDir, workDir, say)
    say('Submissions:')
    await submitPredictions(api, state, synthDir, workDir, say)
    await saveDemoState(stateFile, state)
    await submitAlgorithm(api, state, join(demoDir, 'algorithm'), say)
    await saveDemoState(stateFile, state)
    say('Waiting for the evaluations ...')
    await waitForEvaluations(api, state, say)

    const board = await api.call<LeaderboardLike>('GET', `/api/v1/challenges/${DEMO_CHALLENGE}/phases/${DEMO_PHASE}/leaderboard`)
    say('')
    say(`Leaderboard of ${DEMO_CHALLENGE}/${DEMO_PHASE}:`)
    say(formatLeaderboard(board))
    say('')
    // No token in a printed URL: it would end up in terminal scrollback, browser history and logs.
    say('Browse:')
    say(
      `  web pages     ${server.url}/challenges/${DEMO_CHALLENGE}/phases/${DEMO_PHASE}   ` +
        `(sign in at ${server.url}/signin with a token from the file below)`,
    )
    say(`  leaderboard   ${server.url}/api/v1/challenges/${DEMO_CHALLENGE}/phases/${DEMO_PHASE}/leaderboard`)
    say(`  challenges    ${server.url}/api/v1/challenges`)
    say(`  API docs      ${server.url}/docs`)
    say(`  metrics       ${server.url}/metrics   (admin: "Authorization: Bearer <demo-admin token>")`)
    say(`  queues        ${server.url}/admin/queues/login   (log in with the demo-admin token)`)
    say(`Tokens of the demo users are in ${stateFile}.`)
    return { server, redis, board, close }
  } catch (err) {
    await close()
    throw err
  }
}
