/** One ajv error as Fastify hands it over (FastifySchemaValidationError). */
export interface SchemaError {
  readonly keyword: string
  readonly instancePath: string
  readonly schemaPath?: string
  readonly params: Record<string, unknown>
  readonly message?: string
}

const quote = (v: unknown) => JSON.stringify(v)

/** `body.ranking.metrics[0].order` from ("body", "/ranking/metrics/0/order"). */
export function fieldName(context: string | undefined, instancePath: string): string {
  const parts = instancePath
    .split('/')
    .filter(Boolean)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
  let out = context ?? 'request'
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : `.${p}`
  return out
}

/**
 * Readable schema errors: each field named once, with what it accepts. A union of constants
 * (TypeBox literals) or an enum reads `body.role must be one of "admin", "organiser",
 * "participant"` instead of ajv's "must be equal to constant, must be equal to constant,
 * must match a schema in anyOf"; a nullable field `must be object or null`.
 */
export function validationMessages(context: string | undefined, errors: readonly SchemaError[]): string[] {
  const byPath = new Map<string, SchemaError[]>()
  for (const e of errors) byPath.set(e.instancePath, [...(byPath.get(e.instancePath) ?? []), e])
  const out: string[] = []
  for (const [path, list] of byPath) {
    const field = fieldName(context, path)
    const allowed: unknown[] = []
    const types: string[] = []
    const rest: string[] = []
    for (const e of list) {
      if (e.keyword === 'const') allowed.push(e.params.allowedValue)
      else if (e.keyword === 'enum') allowed.push(...((e.params.allowedValues as unknown[] | undefined) ?? []))
      else if (e.keyword === 'type') types.push(String(e.params.type))
      else if (e.keyword !== 'anyOf' && e.keyword !== 'oneOf') rest.push(e.message ?? e.keyword)
    }
    if (allowed.length > 0) out.push(`${field} must be one of ${[...new Set(allowed.map(quote))].join(', ')}`)
    else if (types.length > 0) out.push(`${field} must be ${[...new Set(types)].join(' or ')}`)
    for (const m of new Set(rest)) out.push(`${field} ${m}`)
    // Only a union's own error here: its branches failed deeper down (listed under their fields).
    if (allowed.length === 0 && types.length === 0 && rest.length === 0) out.push(`${field} matches none of the accepted forms`)
  }
  return out
}
