import type { ComponentChildren } from 'preact'
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { ApiProblem } from '../api.ts'
import { fmtBytes } from '../format.ts'

export type Loaded<T> = { state: 'loading' } | { state: 'ok'; data: T } | { state: 'error'; error: ApiProblem }

const asProblem = (err: unknown) =>
  err instanceof ApiProblem ? err : new ApiProblem(0, { code: 'client_error', message: (err as Error)?.message ?? String(err) })

/** Loads with `load` whenever `deps` change; `reload` loads again keeping the shown data. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): [Loaded<T>, () => Promise<void>] {
  const [value, setValue] = useState<Loaded<T>>({ state: 'loading' })
  const seq = useRef(0)
  const run = useCallback(async () => {
    const n = ++seq.current
    try {
      const data = await load()
      if (n === seq.current) setValue({ state: 'ok', data })
    } catch (err) {
      if (n === seq.current) setValue({ state: 'error', error: asProblem(err) })
    }
  }, deps)
  useEffect(() => {
    setValue({ state: 'loading' })
    void run()
  }, [run])
  return [value, run]
}

export { asProblem }

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  )
}

export function NotFound({ what }: { what: string }) {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no such {what}. <a href="/">All challenges</a>
      </p>
    </section>
  )
}

/** Every problem of an API answer, as a list (422 uploads list each file's problem). */
export function Problems({ error, title }: { error: ApiProblem; title?: string }) {
  const problems = error.problems
  return (
    <div class="problems" role="alert">
      <p>
        <strong>{title ?? error.body.message}</strong>
      </p>
      {(problems.length > 1 || problems[0] !== (title ?? error.body.message)) && (
        <ul>
          {problems.map((p, i) => (
            <li key={i}>{p}</li>
          ))}
        </ul>
      )}
    </div>
  )
}

export function LoadError({ error, what }: { error: ApiProblem; what: string }) {
  if (error.status === 404) return <NotFound what={what} />
  return <Problems error={error} title={`Could not load the ${what}: ${error.body.message}`} />
}

/** A wide table that scrolls sideways on narrow screens (focusable, so keyboards can scroll it). */
export function Scroll({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="scroll" tabIndex={0} role="region" aria-label={label}>
      {children}
    </div>
  )
}

export function ProgressBar({ value, label }: { value: number; label: string }) {
  const pct = Math.round(Math.max(0, Math.min(1, value)) * 100)
  return (
    <div class="progress">
      <progress max={100} value={pct} aria-label={label} />
      <span>{pct} %</span>
    </div>
  )
}

/**
 * A file picker that also takes a dropped file: a labelled <input type="file"> (keyboard and
 * screen readers) inside a drop zone.
 */
export function DropZone({
  id,
  label,
  accept,
  file,
  onFile,
  hint,
}: {
  id: string
  label: string
  accept?: string
  file: File | null
  onFile: (f: File | null) => void
  hint?: string
}) {
  const [over, setOver] = useState(false)
  return (
    <div
      class={`drop${over ? ' over' : ''}`}
      data-testid={`drop-${id}`}
      onDragOver={(e) => {
        e.preventDefault()
        setOver(true)
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault()
        setOver(false)
        const f = e.dataTransfer?.files?.[0]
        if (f) onFile(f)
      }}
    >
      <label for={id}>{label}</label>
      <input
        id={id}
        name={id}
        type="file"
        accept={accept}
        onChange={(e) => onFile((e.currentTarget as HTMLInputElement).files?.[0] ?? null)}
      />
      <p class="muted small">{file ? `${file.name} (${fmtBytes(file.size)})` : (hint ?? 'Drop a file here or choose one.')}</p>
    </div>
  )
}

/** Saves text as a file (a download of what the page shows). */
export function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge s-${status}`}>{status}</span>
}
