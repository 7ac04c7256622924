/** Stand-in thread body for scoring-pool tests: fills its heap while loading, before it is ready. */
const keep: number[][] = []
for (;;) keep.push(Array.from({ length: 100_000 }, (_, i) => i + keep.length))
