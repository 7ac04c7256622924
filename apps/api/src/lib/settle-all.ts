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

/**
 * `fn` over `items`, at most `limit` at once, results in the order of `items`; like settleAll,
 * a failure stops new calls but is thrown only once the running ones settled.
 */
export async function settleEach<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  let failure: { reason: unknown } | null = null
  const lane = async () => {
    while (failure === null && next < items.length) {
      const i = next++
      try {
        results[i] = await fn(items[i])
      } catch (reason) {
        failure ??= { reason }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane))
  if (failure) throw (failure as { reason: unknown }).reason
  return results
}
