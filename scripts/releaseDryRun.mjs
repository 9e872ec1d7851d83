// Rehearses a release without publishing anything: `changeset status` must accept the pending
// changesets, the plan must not bump further than the changesets ask, and `pnpm publish
// --dry-run` must succeed for every public workspace package (it packs each one as the registry
// would receive it: publishConfig applied, workspace: ranges replaced).
//
// It packs the current versions of the built dist/ folders: run `pnpm build` first. To rehearse
// the versions the release will have, run it again after `pnpm version-packages`, once that is
// committed (with the bump uncommitted, `changeset status` sees changed packages and no changeset).
// It never publishes, and needs no npm credentials.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runCommand as run } from './runCommand.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
// Nothing listens on the discard port: were --dry-run ever ignored, the upload would fail
// instead of publishing. pnpm's dry run never contacts the registry, so it still succeeds.
const UNREACHABLE_REGISTRY = 'http://127.0.0.1:9/'
const BUMPS = ['none', 'patch', 'minor', 'major']

/** The only way this script calls publish: always a dry run, always to an unreachable registry. */
function publishDryRun(cwd) {
  const args = ['publish', '--dry-run', '--no-git-checks', '--json']
  return run('pnpm', [...args, '--registry', UNREACHABLE_REGISTRY], { cwd })
}

const failures = []
const temp = mkdtempSync(join(tmpdir(), 'docspasta-release-'))
try {
  // 1. The pending changesets, as the release plan changesets computes from them.
  const planFile = join(temp, 'plan.json')
  // --since=HEAD: the plan comes from the changeset files alone, so it needs no local `main`
  // branch (a detached or shallow checkout has none).
  await run('pnpm', ['changeset', 'status', '--since=HEAD', '--output', planFile], { cwd: ROOT })
  const plan = JSON.parse(readFileSync(planFile, 'utf8'))
  console.log(`changeset status: ${plan.changesets.length} changeset(s)`)
  // Private packages are listed with type none: they are never versioned (privatePackages).
  for (const release of plan.releases.filter((release) => release.type !== 'none')) {
    console.log(
      `  ${release.name} ${release.oldVersion} -> ${release.newVersion} (${release.type})`,
    )
  }
  // changesets raises a package whose peer dependency leaves its range to a major bump, and a
  // fixed group takes the highest bump: before 1.0 that turns a planned 0.x minor into 1.0.0.
  const asked = Math.max(
    0,
    ...plan.changesets.flatMap((changeset) => changeset.releases.map((r) => BUMPS.indexOf(r.type))),
  )
  const escalated = plan.releases.filter((release) => BUMPS.indexOf(release.type) > asked)
  if (escalated.length > 0) {
    failures.push(
      `the plan bumps ${escalated.map((r) => `${r.name} to ${r.newVersion}`).join(', ')}, ` +
        `past the ${BUMPS[asked]} the changesets ask for: changesets raises a package to ` +
        'major when a peer dependency it declares (one of ours) leaves its range',
    )
  }

  // 2. The public workspace packages: every one must be in the fixed group, so none is left out.
  const workspace = JSON.parse(
    await run('pnpm', ['ls', '-r', '--depth', '-1', '--json'], { cwd: ROOT }),
  )
  const publishable = workspace.filter((pkg) => !pkg.private && pkg.name !== undefined)
  const config = JSON.parse(readFileSync(join(ROOT, '.changeset', 'config.json'), 'utf8'))
  const fixed = new Set(config.fixed.flat())
  for (const { name } of publishable) {
    if (!fixed.has(name))
      failures.push(`${name} is public but not in .changeset/config.json's fixed group`)
  }
  for (const name of fixed) {
    if (!publishable.some((pkg) => pkg.name === name))
      failures.push(`${name} is in the fixed group but not a public package`)
  }

  // 3. A dry-run publish of each, one at a time (each packs its own tarball).
  console.log(`\npnpm publish --dry-run (registry ${UNREACHABLE_REGISTRY}):`)
  for (const pkg of publishable) {
    if (!existsSync(join(pkg.path, 'dist'))) {
      failures.push(`${pkg.name}: no dist/, run \`pnpm build\` first`)
      continue
    }
    try {
      const summary = JSON.parse(await publishDryRun(pkg.path))
      console.log(
        `  ${summary.id}: ${summary.size} bytes packed, ${summary.unpackedSize} unpacked, ` +
          `${summary.entryCount} files`,
      )
    } catch (error) {
      failures.push(`${pkg.name}: ${error instanceof Error ? error.message : error}`)
    }
  }
} catch (error) {
  failures.push(error instanceof Error ? error.message : String(error))
} finally {
  rmSync(temp, { recursive: true, force: true })
}

if (failures.length > 0) {
  console.error(`\nrelease:dry-run failed:\n- ${failures.join('\n- ')}`)
  process.exit(1)
}
console.log('\nrelease:dry-run: ok, nothing was published')
