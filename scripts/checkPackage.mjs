// Lints a package as it would be published: packs it with pnpm (which applies publishConfig and
// turns workspace: ranges into versions), then runs publint and attw on the tarball itself.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const run = (command, args) => execFileSync(command, args, { stdio: 'inherit' })
const destination = mkdtempSync(join(tmpdir(), 'docspasta-pack-'))
try {
  // Quiet unless it fails: pnpm's own output then says why.
  execFileSync('pnpm', ['pack', '--pack-destination', destination], { stdio: 'pipe' })
  const [tarball] = readdirSync(destination)
  if (tarball === undefined) throw new Error(`pnpm pack wrote nothing to ${destination}`)
  const path = join(destination, tarball)
  run('publint', ['run', path, '--strict'])
  // Every resolution attw knows, node10 included (typesVersions maps the subpath entries there);
  // an ESM-only package (no `require` condition: the testing kit) is checked as one.
  const manifest = JSON.parse(readFileSync('package.json', 'utf8'))
  const exports = JSON.stringify(manifest.publishConfig?.exports ?? manifest.exports)
  run('attw', exports.includes('"require"') ? [path] : [path, '--profile', 'esm-only'])
} finally {
  rmSync(destination, { recursive: true, force: true })
}
