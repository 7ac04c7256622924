/**
 * s3rver (an S3-compatible server keeping its objects in a folder) in a child process, so that
 * the object store does not share the event loop of the benchmark that measures it, and an
 * environment for spider-bench processes that keep their files there.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { S3RVER_CREDENTIALS } from '@spider-bench/storage/testing'

export interface S3rverProcess {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string
  readonly bucket: string
  /** STORAGE_URL and the AWS credential variables of a spider-bench process using the bucket under `prefix`. */
  env(prefix: string): Record<string, string>
  stop(): void
}

/** Starts s3rver on a free port of 127.0.0.1 with objects under `dir` and one bucket. */
export async function startS3rverProcess(dir: string, bucket = 'bench'): Promise<S3rverProcess> {
  const code = `
    const S3rver = require('s3rver');
    new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: ${JSON.stringify(dir)},
      configureBuckets: [{ name: ${JSON.stringify(bucket)} }] }).run().then((a) => console.log(a.port));`
  const child = spawn(process.execPath, ['-e', code], {
    cwd: join(import.meta.dirname, '../../packages/storage'),
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())))
    child.once('exit', (c) => reject(new Error(`s3rver exited (${c})`)))
  })
  const endpoint = `http://127.0.0.1:${port}`
  return {
    endpoint,
    bucket,
    env: (prefix) => ({
      STORAGE_URL: `s3://${bucket}/${prefix}?endpoint=${encodeURIComponent(endpoint)}&region=us-east-1&forcePathStyle=true`,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    }),
    stop: () => void child.kill(),
  }
}
