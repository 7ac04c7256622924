import { describe, it, expect } from 'vitest'
import { loadConfig } from './config.ts'
import { parseStorageUrl, StorageUrlError } from './storage-url.ts'

describe('parseStorageUrl (STORAGE_URL)', () => {
  it('defaults to the file store in DATA_DIR/storage', () => {
    expect(parseStorageUrl(undefined)).toEqual({ kind: 'file', root: null })
    expect(parseStorageUrl('  ')).toEqual({ kind: 'file', root: null })
    expect(loadConfig({}).storage).toEqual({ kind: 'file', root: null })
    expect(loadConfig({}).storageCacheMb).toBe(10_240)
  })

  it('reads file:///absolute/path', () => {
    expect(parseStorageUrl('file:///srv/spider/storage/')).toEqual({ kind: 'file', root: '/srv/spider/storage' })
    expect(parseStorageUrl('file://localhost/srv/a%20b')).toEqual({ kind: 'file', root: '/srv/a b' })
  })

  it('reads s3://bucket/prefix with endpoint, region and path style', () => {
    expect(parseStorageUrl('s3://spider-data/bench/prod?endpoint=http://127.0.0.1:9000&region=eu-west-1&forcePathStyle=true')).toEqual({
      kind: 's3',
      bucket: 'spider-data',
      prefix: 'bench/prod',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      forcePathStyle: true,
    })
    // AWS S3: region from the environment, virtual-hosted style; with an endpoint, path style by default.
    expect(parseStorageUrl('s3://my.bucket', { AWS_REGION: 'us-west-2' })).toEqual({
      kind: 's3',
      bucket: 'my.bucket',
      prefix: '',
      endpoint: null,
      region: 'us-west-2',
      forcePathStyle: false,
    })
    expect(parseStorageUrl('s3://b42/?endpoint=https%3A%2F%2Fminio.example:9000', { AWS_DEFAULT_REGION: 'eu-central-1' })).toMatchObject({
      prefix: '',
      endpoint: 'https://minio.example:9000',
      region: 'eu-central-1',
      forcePathStyle: true,
    })
    expect(parseStorageUrl('s3://b42?endpoint=http://h:1&forcePathStyle=false')).toMatchObject({ region: null, forcePathStyle: false })
    expect(loadConfig({ STORAGE_URL: 's3://b42/p?region=eu-west-1', STORAGE_CACHE_MB: '512' })).toMatchObject({
      storage: { kind: 's3', bucket: 'b42', prefix: 'p' },
      storageCacheMb: 512,
    })
  })

  it('says what is wrong with a bad URL', () => {
    const cases: [string, string][] = [
      ['ftp://host/x', 'STORAGE_URL must be file:///absolute/path or s3://bucket'],
      ['/srv/storage', 'STORAGE_URL must be file:///absolute/path or s3://bucket'],
      [
        'file://relative/path',
        'STORAGE_URL must name an absolute path with three slashes (file:///srv/spider/storage), got "file://relative/path"',
      ],
      ['file:///srv/x?y=1', 'STORAGE_URL file:// takes no query or fragment'],
      ['file:///', 'STORAGE_URL must not be the root directory'],
      ['file:srv/x', 'STORAGE_URL must name an absolute path with three slashes'],
      ['s3://AKIA:secret@bucket/p?region=x', 'STORAGE_URL must not hold credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY'],
      ['s3://My_Bucket?region=eu-west-1', 'STORAGE_URL names an invalid bucket "My_Bucket"'],
      ['s3://ab?region=eu-west-1', 'STORAGE_URL names an invalid bucket "ab"'],
      ['s3://bucket/a/../b?region=eu-west-1', 'STORAGE_URL has an invalid key prefix "a/../b" (segment "..")'],
      ['s3://bucket/a//b?region=eu-west-1', 'STORAGE_URL has an invalid key prefix "a//b" (segment "")'],
      [
        's3://bucket?region=eu-west-1&endpont=http://h:1',
        'STORAGE_URL has an unknown parameter "endpont" (known: endpoint, region, forcePathStyle)',
      ],
      ['s3://bucket?region=a&region=b', 'STORAGE_URL repeats the parameter "region"'],
      ['s3://bucket?endpoint=localhost:9000', 'STORAGE_URL endpoint must be an http:// or https:// URL, got "localhost:9000"'],
      ['s3://bucket?endpoint=not%20a%20url', 'STORAGE_URL has an endpoint that is not a URL: "not a url"'],
      ['s3://bucket?endpoint=http://k:s@h:1', 'STORAGE_URL endpoint must not hold credentials'],
      ['s3://bucket?endpoint=http://h:1/bucket', 'STORAGE_URL endpoint must be an origin (http://host:port) without a path'],
      ['s3://bucket?endpoint=http://h:1&forcePathStyle=yes', 'STORAGE_URL forcePathStyle must be true or false, got "yes"'],
      ['s3://bucket?region=EU%20West', 'STORAGE_URL has an invalid region "EU West"'],
      ['s3://bucket/p', 'STORAGE_URL needs the bucket\'s region: add "?region=eu-west-1" or set AWS_REGION'],
    ]
    for (const [url, message] of cases) {
      expect(() => parseStorageUrl(url), url).toThrow(StorageUrlError)
      expect(() => parseStorageUrl(url), url).toThrow(message)
    }
    expect(() => loadConfig({ STORAGE_URL: 'ftp://host/x', STORAGE_CACHE_MB: '0' })).toThrow(
      /invalid configuration:\n {2}STORAGE_URL must be .*got "ftp:\/\/\.\.\."\n {2}STORAGE_CACHE_MB must be between 1 and/,
    )
  })
})
