// Types of build-state.js (plain JavaScript so that bin/ and scripts/build.mjs run without tsx).
export declare const ROOT: string
export declare const MANIFEST: string
export interface Workspace {
  readonly name: string
  readonly dir: string
  readonly exports: string | Record<string, string>
}
export declare function workspaces(root?: string): Workspace[]
export declare function isSource(file: string): boolean
export declare function sourceFiles(root?: string, list?: Workspace[]): string[]
export declare function compiledPath(source: string): string
export declare function buildState(options?: { checkSources?: boolean }): { present: boolean; fresh: boolean; reason: string }
