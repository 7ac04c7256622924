/**
 * Like Promise.all, but waits for every promise to settle before rejecting with the first
 * failure: work still running (e.g. an image check reading an upload's files) never outlives
 * the caller's cleanup.
 */
export async function settleAll<T>(promises: Array<Promise<T>>): Promise<T[]> {
  const results = await Promise.allSettled(promises)
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) throw failed.reason
  return results.map((r) => (r as PromiseFulfilledResult<T>).value)
}
