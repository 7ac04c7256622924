import { createContext } from 'preact'
import { useContext } from 'preact/hooks'
import type { Me } from './api.ts'

export interface Session {
  /** undefined while the first /me answer is pending; null when signed out. */
  readonly me: Me | null | undefined
  refresh(): Promise<void>
  signOut(): Promise<void>
}

export const SessionContext = createContext<Session>({ me: undefined, refresh: async () => undefined, signOut: async () => undefined })
export const useSession = () => useContext(SessionContext)
export const canOrganise = (me: Me | null | undefined) => me?.role === 'admin' || me?.role === 'organiser'
