import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..')

interface Board {
  rows: Array<{ rank: number; participant: string; rankScore: number | null; metrics: Record<string, number | null> }>
  columns: Array<{ key: string }>
}

/** Runs `spider-bench demo` until it serves; returns its stdout so far and a stop function. */
function startDemo(env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['bin/spider-bench.js', 'demo', '--studies', '2'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const serving = new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      if (out.includes('Serving; press Ctrl-C to stop.')) {
        clearInterval(timer)
        resolve(out)
      }
    }, 100)
    void exited.then((code) => {
      clearInterval(timer)
      reject(new Error(`demo exited with ${code} before serving:\n${out}\n${err}`))
    })
  })
  return {
    serving,
    async stop() {
      child.kill('SIGINT')
      return exited
    },
  }
}

/** The printed table's rows: rank, participant, score and the metric cells as printed. */
function parseTable(out: string): Array<{ rank: number; participant: string; cells: string[] }> {
  const lines = out.split('\n')
  const start = lines.findIndex((l) => /^rank\s+participant/.test(l))
  const rows = []
  for (const line of lines.slice(start + 2)) {
    if (!line.trim()) break
    const [rank, participant, ...cells] = line.trim().split(/\s+/)
    rows.push({ rank: Number(rank), participant, cells })
  }
  return rows
}

describe('npm run demo', () => {
  const dirs: string[] = []
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
  })

  it('prints the leaderboard the API serves, and reuses its data on a second run', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'spider-demo-'))
    dirs.push(dataDir)
    const env = { ...process.env, DATA_DIR: dataDir, PORT: '0', SPIDER_QUEUE_PREFIX: `test-${randomUUID()}`, DATABASE_URL: '' }
    const demo = startDemo(env)
    const out = await demo.serving
    // Tokens stay in the state file: none is printed (least of all in a URL).
    expect(out).not.toContain('sbk_')
    const url = /Server: (http:\/\/\S+)/.exec(out)?.[1]
    expect(url).toBeDefined()
    const board = (await (await fetch(`${url}/api/v1/challenges/spider-demo/phases/test/leaderboard`)).json()) as Board
    const printed = parseTable(out)
    expect(board.rows.map((r) => r.participant).sort()).toEqual(['alice', 'bob', 'carol', 'dave', 'eve'])
    expect(printed.map((r) => [r.rank, r.participant])).toEqual(board.rows.map((r) => [r.rank, r.participant]))
    for (const [i, row] of board.rows.entries()) {
      const cells = printed[i].cells
      expect(Number(cells[0])).toBeCloseTo(row.rankScore ?? NaN, 3)
      board.columns.forEach((col, j) => {
        const value = row.metrics[col.key]
        const cell = cells[j + 1]
        if (value === null) expect(cell).toBe('-')
        else if (col.key.startsWith('Detection')) expect(cell).toBe(`${(value * 100).toFixed(1)}%`)
        else if (col.key.startsWith('Dice')) expect(cell).toBe(value.toFixed(4))
        else expect(cell).toBe(value.toFixed(3))
      })
    }
    // Graded quality: boundary noise beats a one-voxel dilation, which beats merged and eroded structures.
    const rankOf = (name: string) => board.rows.find((r) => r.participant === name)?.rank ?? Infinity
    expect(rankOf('alice')).toBe(1)
    expect(rankOf('bob')).toBeLessThan(rankOf('dave'))
    // The example algorithm was run by the server on the hidden images and scored.
    const eve = board.rows.find((r) => r.participant === 'eve')
    expect(eve?.metrics.DiceVertebrae).toBeGreaterThan(0.5)
    expect(await demo.stop()).toBe(0)

    const again = startDemo(env)
    const out2 = await again.serving
    expect(out2).toContain('Synthetic test set: reusing')
    expect(out2).toContain('reusing 7 users')
    expect(out2).not.toMatch(/submitted (predictions|the example)/)
    expect(parseTable(out2)).toEqual(printed)
    expect(await again.stop()).toBe(0)
  })
})
