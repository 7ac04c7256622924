import { Worker } from 'node:worker_threads'
import { runSeriesJob, type SeriesJob, type SeriesOutcome } from './series-job.ts'
import type { SynthWorkerReply } from './synth-worker.ts'

/**
 * In the calling thread, two jobs at a time: the next series is generated while the previous
 * one's files are compressed and written (bounded memory: at most two series in flight).
 */
export async function runJobsInThread(jobs: readonly SeriesJob[], done: (o: SeriesOutcome) => void): Promise<SeriesOutcome[]> {
  const results = new Array<SeriesOutcome>(jobs.length)
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < jobs.length) {
      const id = next++
      // Yield first so the other lane's writes get going before this generation blocks.
      await new Promise((r) => setImmediate(r))
      results[id] = await runSeriesJob(jobs[id])
      done(results[id])
    }
  }
  await Promise.all([lane(), lane()])
  return results
}

// Workers run the TypeScript sources: each registers tsx before importing synth-worker.ts,
// which works the same under `npx spider-bench`, `node bin/run-ts.js` and vitest.
function startWorker(): Worker {
  const tsx = import.meta.resolve('tsx/esm/api')
  const entry = new URL('./synth-worker.ts', import.meta.url).href
  const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}) })`
  return new Worker(boot, { eval: true })
}

/** On `threads` worker threads, one job per worker at a time; results in job order. */
export function runJobsOnWorkers(jobs: readonly SeriesJob[], threads: number, done: (o: SeriesOutcome) => void): Promise<SeriesOutcome[]> {
  return new Promise((resolve, reject) => {
    const results = new Array<SeriesOutcome>(jobs.length)
    const workers: Worker[] = []
    let next = 0
    let finishedJobs = 0
    let finished = false
    const finish = (err?: Error): void => {
      if (finished) return
      finished = true
      for (const w of workers) void w.terminate()
      if (err) reject(err)
      else resolve(results)
    }
    const feed = (worker: Worker): void => {
      if (next < jobs.length) {
        const id = next++
        worker.postMessage({ id, ...jobs[id] })
      } else if (finishedJobs === jobs.length) {
        finish()
      }
    }
    for (let t = 0; t < threads; t++) {
      const worker = startWorker()
      workers.push(worker)
      worker.on('message', (reply: SynthWorkerReply) => {
        if ('error' in reply) {
          finish(new Error(`generating ${jobs[reply.id].name} failed: ${reply.error}`))
          return
        }
        results[reply.id] = reply.outcome
        finishedJobs++
        done(reply.outcome)
        feed(worker)
      })
      worker.on('error', (err) => finish(err))
      worker.on('exit', (code) => {
        if (!finished) finish(new Error(`a synth worker exited unexpectedly (code ${code})`))
      })
      feed(worker)
    }
  })
}
