import { Type } from '@sinclair/typebox'

export const StartDirectUploadBody = Type.Object(
  {
    size: Type.Integer({ minimum: 1, description: 'exact length of the archive in bytes' }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256 of the archive, 64 lower-case hex digits' }),
  },
  { additionalProperties: false },
)

export const StartPredictionsUploadBody = Type.Object(
  {
    kind: Type.Literal('predictions', { description: 'direct uploads carry predictions archives (algorithms are sent in the body)' }),
    size: StartDirectUploadBody.properties.size,
    sha256: StartDirectUploadBody.properties.sha256,
  },
  { additionalProperties: false },
)

export const DirectUploadSchema = Type.Object({
  id: Type.String(),
  purpose: Type.Union([Type.Literal('test-set'), Type.Literal('sanity-set'), Type.Literal('predictions')]),
  size: Type.Integer(),
  sha256: Type.String(),
  upload: Type.Object({
    method: Type.Literal('PUT'),
    url: Type.String({ description: 'presigned URL of the object store: PUT the archive there, with exactly these headers' }),
    headers: Type.Record(Type.String(), Type.String()),
  }),
  urlExpiresAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time', description: 'complete the upload by then (UPLOAD_TIMEOUT_SECONDS after its start)' }),
  complete: Type.String({ description: 'POST here once the PUT succeeded' }),
})

export const UploadParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) })
