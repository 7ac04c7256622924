import { useEffect, useState } from 'preact/hooks'

/** The page's location as the router sees it. */
export interface Location {
  readonly path: string
  readonly query: URLSearchParams
}

const current = (): Location => ({ path: window.location.pathname, query: new URLSearchParams(window.location.search) })
const listeners = new Set<() => void>()

/** Goes to a page of this site without reloading (history API); `replace` keeps no history entry. */
export function navigate(url: string, replace = false): void {
  if (replace) window.history.replaceState(null, '', url)
  else window.history.pushState(null, '', url)
  for (const l of listeners) l()
  if (!replace) window.scrollTo(0, 0)
}

window.addEventListener('popstate', () => {
  for (const l of listeners) l()
})

export function useLocation(): Location {
  const [loc, setLoc] = useState(current)
  useEffect(() => {
    const update = () => setLoc(current())
    listeners.add(update)
    return () => void listeners.delete(update)
  }, [])
  return loc
}

/** Matches `/challenges/:challenge` style patterns; null when the path does not match. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean)
  const s = path.split('/').filter(Boolean)
  if (p.length !== s.length) return null
  const params: Record<string, string> = {}
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) {
      try {
        params[p[i].slice(1)] = decodeURIComponent(s[i])
      } catch {
        return null
      }
    } else if (p[i] !== s[i]) return null
  }
  return params
}

/** Same-origin links navigate in place; modified clicks (new tab) keep the browser's behaviour. */
export function onLinkClick(e: MouseEvent): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
  const a = (e.target as Element | null)?.closest?.('a')
  if (!a || a.target || a.hasAttribute('download')) return
  const href = a.getAttribute('href')
  if (!href || !href.startsWith('/') || href.startsWith('//') || href.startsWith('/api/') || href.startsWith('/docs')) return
  e.preventDefault()
  navigate(href)
}
