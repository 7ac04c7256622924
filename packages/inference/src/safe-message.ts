/**
 * Error text from onnxruntime, Node or a model process may name server paths (onnxruntime's
 * source files, the model's working directory, files it tried to open) and can print tensor
 * values. `safeErrorText` makes such text fit for a participant: absolute paths become
 * `<path>`, runs of more than MAX_LISTED numbers become `<N values>`, control characters are
 * dropped and the whole is capped at `max` characters. The raw text belongs in the server log.
 */
const MAX_LISTED = 8
const DEFAULT_MAX = 400

// An absolute POSIX path (after a start, space, quote, bracket, '=' or ':'), a Windows path, or a file: URL.
const POSIX_PATH = /(^|[\s'"`([{=:,])(?:file:\/\/)?\/(?:[^\s'"`()[\]{},;]+)/g
const WINDOWS_PATH = /(^|[\s'"`([{=:,])[A-Za-z]:[\\/][^\s'"`()[\]{},;]*/g
const HOME_PATH = /(^|[\s'"`([{=:,])~\/[^\s'"`()[\]{},;]*/g
// Runs of numbers separated by commas, spaces or both (shape and value dumps: {84,79,80,...}).
const NUMBER_RUN = /-?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?:\s*[,\s]\s*-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)+/gi
// eslint-disable-next-line no-control-regex
const CONTROL = /\u001b\[[0-9;]*[A-Za-z]|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g

export function safeErrorText(text: string, max = DEFAULT_MAX): string {
  let out = text
    .replace(CONTROL, '')
    .replace(POSIX_PATH, '$1<path>')
    .replace(WINDOWS_PATH, '$1<path>')
    .replace(HOME_PATH, '$1<path>')
    .replace(NUMBER_RUN, (run) => {
      const values = run.split(/\s*[,\s]\s*/)
      return values.length > MAX_LISTED ? `<${values.length} values>` : run
    })
    .trim()
    .replace(/\s*\n\s*/g, ' | ')
  if (out.length > max) out = `${out.slice(0, max - 1)}…`
  return out
}
