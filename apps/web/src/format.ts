/** Display helpers: numbers, dates, durations. */

export function fmtNumber(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–'
  if (Number.isInteger(v)) return String(v)
  const abs = Math.abs(v)
  if (abs >= 100) return v.toFixed(1)
  return v.toFixed(digits)
}

const pad = (n: number) => String(n).padStart(2, '0')

/** `2025-01-31 14:05` in the viewer's time zone. */
export function fmtDate(iso: string | null | undefined): string {
  if (!iso) return '–'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return '–'
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/** An ISO time as the value of an <input type="datetime-local"> (local time), or ''. */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return ''
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/** The value of a datetime-local input as an ISO time, or null when empty. */
export function fromLocalInput(value: string): string | null {
  if (!value) return null
  const d = new Date(value)
  return Number.isNaN(d.getTime()) ? null : d.toISOString()
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`
  return `${(n / 1024 ** 3).toFixed(2)} GiB`
}

export const SEQUENCE_LABELS: Record<string, string> = { t1: 'T1', t2: 'T2', t2_SPACE: 'T2-SPACE', unknown: 'unknown sequence' }

/** Whether a phase accepts submissions now, and why not. */
export function phaseWindow(opensAt: string | null, closesAt: string | null, now = Date.now()): { open: boolean; text: string } {
  if (opensAt && Date.parse(opensAt) > now) return { open: false, text: `opens ${fmtDate(opensAt)}` }
  if (closesAt && Date.parse(closesAt) <= now) return { open: false, text: `closed ${fmtDate(closesAt)}` }
  return { open: true, text: closesAt ? `open until ${fmtDate(closesAt)}` : 'open' }
}
