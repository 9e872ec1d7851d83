// What a published tarball may hold, read without tar: its files and what is wrong with them.
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'

// A tarball holds these and dist/**, nothing else (no src/, tests or configs).
export const ALLOWED_FILES = new Set(['package.json', 'README.md', 'LICENSE'])

/** The regular files of a .tgz, read with zlib and a minimal ustar parser (pax paths included). */
export function tarballFiles(path) {
  const data = gunzipSync(readFileSync(path))
  const files = new Map()
  let paxPath
  for (let offset = 0; offset + 512 <= data.length; ) {
    const header = data.subarray(offset, offset + 512)
    if (header.every((byte) => byte === 0)) break
    const field = (start, length) =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '')
    const size = Number.parseInt(field(124, 12).trim() || '0', 8)
    const type = field(156, 1)
    const body = data.subarray(offset + 512, offset + 512 + size)
    const prefix = field(345, 155)
    const name = paxPath ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100))
    paxPath = undefined
    if (type === 'x') paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1]
    else if (type === '0' || type === '') files.set(name.replace(/^package\//, ''), body)
    offset += 512 + Math.ceil(size / 512) * 512
  }
  return files
}

/** What is wrong in one tarball's file list and metadata; an empty list when nothing is. */
export function tarballProblems(files) {
  const problems = [...ALLOWED_FILES]
    .filter((file) => !files.has(file))
    .map((file) => `lacks ${file}`)
  for (const path of files.keys()) {
    if (!ALLOWED_FILES.has(path) && !path.startsWith('dist/')) problems.push(`ships ${path}`)
  }
  for (const [path, body] of files) {
    // A map must belong to a shipped file and embed every source it names: its sources point
    // at src/, which is not shipped, and an absolute path is the build machine's.
    if (path.endsWith('.map')) {
      if (!files.has(path.slice(0, -'.map'.length))) problems.push(`${path} maps a missing file`)
      const map = JSON.parse(body.toString('utf8'))
      map.sources.forEach((source, index) => {
        if (source.startsWith('/') || /^[a-z]:/i.test(source)) {
          problems.push(`${path} names an absolute source ${source}`)
        }
        if (typeof map.sourcesContent?.[index] !== 'string') {
          problems.push(`${path} lacks the content of ${source}`)
        }
      })
      if (typeof map.file === 'string' && map.file.startsWith('/')) {
        problems.push(`${path} names an absolute file ${map.file}`)
      }
    }
    // Every sourceMappingURL comment must point at a map in the tarball.
    if (/\.(c|m)?js$/.test(path)) {
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(body.toString('utf8'))?.[1]
      const dir = path.slice(0, path.lastIndexOf('/') + 1)
      if (url && !url.startsWith('data:') && !files.has(`${dir}${url}`)) {
        problems.push(`${path} points at a missing ${url}`)
      }
    }
  }
  const manifest = files.get('package.json')?.toString('utf8') ?? ''
  // pnpm must have applied publishConfig and replaced every workspace: range.
  if (manifest.includes('workspace:')) problems.push('package.json keeps a workspace: range')
  if (manifest.includes('docspasta-source')) problems.push('package.json keeps docspasta-source')
  for (const [, target] of manifest.matchAll(/"\.\/(dist\/[^"*]+)"/g)) {
    if (!files.has(target)) problems.push(`package.json names a missing ${target}`)
  }
  return problems
}
