/** A one-line progress bar on stderr for byte counts (only on a TTY; silent otherwise). */
export function byteProgress(
  label: string,
  total: number,
  stream: NodeJS.WriteStream = process.stderr,
): { update(done: number): void; end(): void } {
  if (!stream.isTTY) return { update() {}, end() {} }
  const mib = (n: number) => (n / 1048576).toFixed(1)
  let last = -1
  return {
    update(done) {
      const pct = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100
      if (pct === last) return
      last = pct
      const width = 30
      const filled = Math.round((pct / 100) * width)
      stream.write(
        `\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${mib(done)}/${mib(total)} MiB`,
      )
    },
    end() {
      stream.write('\n')
    },
  }
}
