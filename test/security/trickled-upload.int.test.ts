/**
 * Finding 7 (no request or body-progress timeout): an upload trickled at a byte a second
 * stayed open indefinitely, holding its temp file. Now an upload that brings fewer than
 * UPLOAD_MIN_BYTES_PER_SECOND over UPLOAD_PROGRESS_WINDOW_SECONDS, or has not arrived within
 * UPLOAD_TIMEOUT_SECONDS, is answered 408 and its connection closed; its temp dir is removed
 * and its upload slot freed. Other request bodies must arrive within REQUEST_TIMEOUT_SECONDS.
 * The windows are tiny here (set through the configuration); the defaults are 30 s and 1 h.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { readdir } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { startHarness, type Harness } from '../../apps/api/src/testing/harness.ts'
import { apiClient, PHASE_BODY } from '../../apps/api/src/testing/client.ts'
import { mhaBytes } from '../../apps/api/src/testing/images.ts'

const SUBMIT = '/api/v1/challenges/spine/phases/final/submissions'

interface Trickled {
  /** The status line and the body of the server's answer. */
  readonly statusLine: string
  readonly body: string
  /** Whether the server closed the connection (rather than this test giving up). */
  readonly closedByServer: boolean
  readonly bytesSent: number
}

/**
 * A raw-socket request: `head` at once, then `chunk` every `everyMs` until the server answers
 * and closes the connection, or `giveUpMs` passes.
 */
function trickle(port: number, head: string, chunk: string, everyMs: number, giveUpMs = 60_000): Promise<Trickled> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let answer = ''
    let sent = 0
    let gaveUp = false
    let timer: NodeJS.Timeout | undefined
    socket.on('connect', () => {
      socket.write(head)
      timer = setInterval(() => {
        if (!socket.writable) return
        socket.write(chunk)
        sent += chunk.length
      }, everyMs)
    })
    socket.on('data', (d: Buffer) => (answer += d.toString()))
    socket.on('error', () => undefined)
    const giveUp = setTimeout(() => {
      gaveUp = true
      socket.destroy()
    }, giveUpMs)
    socket.on('close', () => {
      clearInterval(timer)
      clearTimeout(giveUp)
      const [headers = '', body = ''] = answer.split('\r\n\r\n')
      resolve({ statusLine: headers.split('\r\n')[0] ?? '', body, closedByServer: !gaveUp, bytesSent: sent })
    })
  })
}

function uploadHead(token: string): string {
  const boundary = 'trickle'
  return (
    `POST ${SUBMIT} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n` +
    `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${10 * 1024 * 1024}\r\n\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\npredictions\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="predictions"; filename="p.zip"\r\n` +
    'Content-Type: application/octet-stream\r\n\r\n'
  )
}

/** The body of a chunked response is framed: the JSON object inside it. */
const errorOf = (body: string) =>
  JSON.parse(body.slice(body.indexOf('{'), body.lastIndexOf('}') + 1)) as { error: { code: string; message: string } }

describe('trickled uploads and bodies are cut off (finding 7)', () => {
  let h: Harness
  let api: ReturnType<typeof apiClient>
  let port: number
  let organiser: string
  let alice: string
  let mask: Buffer
  const tmpEntries = () => readdir(join(h.dataDir, 'tmp')).catch(() => [])

  beforeAll(async () => {
    h = await startHarness('pglite', {
      uploadMinBytesPerSecond: 64,
      uploadProgressWindowSeconds: 1,
      uploadTimeoutSeconds: 4,
      requestTimeoutSeconds: 2,
    })
    api = apiClient(h.url, h.dataDir)
    port = Number(new URL(h.url).port)
    organiser = (await h.user('org', 'organiser')).token
    alice = (await h.user('alice', 'participant')).token
    mask = await mhaBytes('mask')
    expect((await api.json(organiser, 'POST', '/api/v1/challenges', { slug: 'spine', title: 'Spine' })).status).toBe(201)
    expect((await api.json(organiser, 'POST', '/api/v1/challenges/spine/phases', PHASE_BODY)).status).toBe(201)
    const set = await api.archive([
      { name: 'images/1_t1.mha', data: await mhaBytes('image') },
      { name: 'masks/1_t1.mha', data: mask },
    ])
    expect((await api.multipart(organiser, 'PUT', '/api/v1/challenges/spine/phases/final/test-set', { archive: set })).status).toBe(200)
  })
  afterAll(async () => {
    await h?.close()
  })

  it('answers 408 and closes the connection of an upload trickled below the minimum rate', async () => {
    // About 5 bytes a second; the rule wants 64 a second over 1 s windows.
    const result = await trickle(port, uploadHead(alice), 'x', 200)
    expect(result.closedByServer).toBe(true)
    expect(result.statusLine).toBe('HTTP/1.1 408 Request Timeout')
    const { error } = errorOf(result.body)
    expect(error.code).toBe('request_timeout')
    expect(error.message).toMatch(
      new RegExp(
        /^the upload is too slow and was cancelled: \d+ bytes arrived in 1 s, at least 64 are needed /.source +
          /\(UPLOAD_MIN_BYTES_PER_SECOND=64 over UPLOAD_PROGRESS_WINDOW_SECONDS=1\)$/.source,
      ),
    )
    expect(await tmpEntries()).toEqual([])
    expect(h.app.uploadSlots.held()).toEqual([])
  })

  it('answers 408 to an upload fast enough for the rate rule that does not arrive within UPLOAD_TIMEOUT_SECONDS', async () => {
    // 1000 bytes a second passes the rate rule; 10 MiB would take hours.
    const result = await trickle(port, uploadHead(alice), 'x'.repeat(100), 100)
    expect(result.closedByServer).toBe(true)
    expect(result.statusLine).toBe('HTTP/1.1 408 Request Timeout')
    expect(result.bytesSent).toBeGreaterThan(0)
    expect(errorOf(result.body).error.message).toBe('the upload did not arrive within UPLOAD_TIMEOUT_SECONDS (4 s) and was cancelled')
    expect(await tmpEntries()).toEqual([])
    // Its slot is free: the participant's next upload is taken.
    const next = await api.multipart(alice, 'POST', SUBMIT, {
      kind: 'predictions',
      predictions: await api.archive([{ name: '1_t1.mha', data: mask }]),
    })
    expect(next.status).toBe(202)
  })

  it('answers 408 to a JSON body that does not arrive within REQUEST_TIMEOUT_SECONDS', async () => {
    const head =
      `POST /api/v1/challenges HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${organiser}\r\n` +
      'Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"slug":"x","title":"'
    const result = await trickle(port, head, 'y', 100)
    expect(result.closedByServer).toBe(true)
    expect(result.statusLine).toBe('HTTP/1.1 408 Request Timeout')
    expect(errorOf(result.body).error.message).toBe('the request body did not arrive within REQUEST_TIMEOUT_SECONDS (2 s)')
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200)
  })
})
