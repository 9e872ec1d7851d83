// Installs the five packages the way a user does, from the tarballs `pnpm pack` makes (so
// publishConfig and the workspace: ranges are applied exactly as on publish), into fresh npm
// projects outside the repository, then imports, requires and typechecks every documented entry.
// publint and attw (scripts/checkPackage.mjs) judge a tarball's metadata; this runs it.
//
// Assumes `pnpm build` has run. Every check runs even after another failed, so one run lists
// every problem; the exit code is non-zero if any failed.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CJS_PROGRAM, ESM_PROGRAM, MIXED_PROGRAM } from './install/runtimePrograms.mjs'
import { tarballFiles, tarballProblems } from './install/tarballContents.mjs'
import { TYPE_CONFIGS, typecheck } from './install/typePrograms.mjs'
import { runCommand as run } from './runCommand.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
// In dependency order; `dir` is the folder under packages/.
const PACKAGES = [
  { dir: 'protocol', name: '@docspasta/progress-protocol' },
  { dir: 'core', name: '@docspasta/progress-core' },
  { dir: 'redis', name: '@docspasta/progress-redis' },
  { dir: 'client', name: '@docspasta/progress-client' },
  { dir: 'testing', name: '@docspasta/progress-testing' },
]
// What users add next to our packages: the peers (ioredis within redis's ^5.11 || ^6, vitest
// within testing's ^4.1.0) and the TypeScript toolchain. Exact versions, so a run is reproducible
// and npm's cache answers after the first one.
// zod at the lowest version core's range allows, and React (the client's /react entry) at the
// lowest its range allows, so the programs below run on them; react-dom renders the hook.
const USER_DEPENDENCIES = [
  'ioredis@6.0.0',
  'vitest@4.1.12',
  'typescript@5.9.3',
  '@types/node@20',
  'zod@4.1.0',
  'react@18.0.0',
  'react-dom@18.0.0',
  '@types/react@18',
]
// A program that hangs (a terminal that never comes) fails the check instead of holding CI.
const PROGRAM_RUN = (cwd) => ({ cwd, timeout: 60_000 })

const failures = []
const summary = []
const started = Date.now()

/** Runs one check; records its outcome instead of stopping, so later checks still run. */
async function check(label, body) {
  const at = Date.now()
  // The slot is taken before awaiting, so the summary keeps the order of the checks.
  const slot = summary.push(`...   ${label}`) - 1
  try {
    const detail = await body()
    summary[slot] = `ok    ${label}${detail ? `: ${detail}` : ''} (${seconds(at)})`
    return true
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    failures.push(`${label}: ${message}`)
    summary[slot] = `FAIL  ${label} (${seconds(at)})`
    return false
  }
}

const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`

/** Total size in bytes of the files under a folder (symlinks not followed). */
function folderBytes(path) {
  let total = 0
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name)
    if (entry.isDirectory()) total += folderBytes(child)
    else if (entry.isFile()) total += statSync(child).size
  }
  return total
}

/** A fresh npm project: `npm init -y` in an empty folder, as a user starts one. */
async function freshProject(path) {
  mkdirSync(path, { recursive: true })
  await run('npm', ['init', '-y'], { cwd: path })
}

const npmInstall = (cwd, specs) =>
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...specs], { cwd })

/** Fails unless every @docspasta package installed came from our tarballs, not the registry. */
function assertFromTarballs(project) {
  const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8'))
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path.includes('node_modules/@docspasta/') && !entry.resolved?.startsWith('file:')) {
      throw new Error(`${path} came from ${entry.resolved ?? 'the registry'}, not a tarball`)
    }
  }
}

// ---- The run ------------------------------------------------------------------------------------

const missing = PACKAGES.filter(({ dir }) => !existsSync(join(ROOT, 'packages', dir, 'dist')))
if (missing.length > 0) {
  const folders = missing.map(({ dir }) => `packages/${dir}`).join(', ')
  console.error(`check:install: no dist/ in ${folders}: run \`pnpm build\` first`)
  process.exit(1)
}

const temp = mkdtempSync(join(tmpdir(), 'docspasta-install-'))
try {
  const tarballsDir = join(temp, 'tarballs')
  mkdirSync(tarballsDir)
  const tarballs = new Map()

  // Pack all five at once; each pack gets its own folder, so each reads back its own tarball.
  await check('pack the five packages', async () => {
    await Promise.all(
      PACKAGES.map(async ({ dir, name }) => {
        const destination = join(tarballsDir, dir)
        mkdirSync(destination)
        await run('pnpm', ['pack', '--pack-destination', destination], {
          cwd: join(ROOT, 'packages', dir),
        })
        const [file] = readdirSync(destination)
        if (file === undefined) throw new Error(`pnpm pack wrote nothing for ${name}`)
        tarballs.set(name, join(destination, file))
      }),
    )
  })
  if (tarballs.size !== PACKAGES.length) throw new Error('cannot go on without the tarballs')

  for (const { name } of PACKAGES) {
    const path = tarballs.get(name)
    const files = tarballFiles(path)
    const bytes = statSync(path).size
    await check(`tarball ${name}: ${bytes} bytes, ${files.size} files`, async () => {
      const problems = tarballProblems(files)
      if (problems.length > 0) throw new Error(`\n  ${problems.join('\n  ')}`)
    })
  }

  const app = join(temp, 'app')
  const clientOnly = join(temp, 'client-only')
  const tarballOf = (name) => tarballs.get(name)

  // The two installs are independent: run them side by side.
  const [appInstalled, clientInstalled] = await Promise.all([
    check(
      'install all five tarballs with npm (+ ioredis, vitest, typescript, @types/node, zod 4.1.0, react 18.0.0)',
      async () => {
        await freshProject(app)
        await npmInstall(app, [
          ...PACKAGES.map(({ name }) => tarballOf(name)),
          ...USER_DEPENDENCIES,
        ])
        assertFromTarballs(app)
      },
    ),
    check('install only the client (and protocol) tarballs with npm', async () => {
      await freshProject(clientOnly)
      await npmInstall(clientOnly, [
        tarballOf('@docspasta/progress-protocol'),
        tarballOf('@docspasta/progress-client'),
      ])
      assertFromTarballs(clientOnly)
    }),
  ])

  const checks = []
  if (appInstalled) {
    writeFileSync(join(app, 'esm.mjs'), ESM_PROGRAM)
    writeFileSync(join(app, 'cjs.cjs'), CJS_PROGRAM)
    writeFileSync(join(app, 'mixed.cjs'), MIXED_PROGRAM)
    const tsc = join(app, 'node_modules', 'typescript', 'bin', 'tsc')
    checks.push(
      check('ESM: import every entry, memory crawl, HTTP stream to the client', () =>
        run('node', ['esm.mjs'], PROGRAM_RUN(app)).then(() => ''),
      ),
      check('CJS: require every entry but testing, memory crawl, HTTP stream', () =>
        run('node', ['cjs.cjs'], PROGRAM_RUN(app)).then(() => ''),
      ),
      check('ESM and CJS builds in one process: instanceof holds across them', () =>
        run('node', ['mixed.cjs'], PROGRAM_RUN(app)).then(() => ''),
      ),
      ...TYPE_CONFIGS.map((config) =>
        check(`types: ${config.name}, strict, skipLibCheck false`, () =>
          typecheck(app, tsc, config),
        ),
      ),
    )
  }
  if (clientInstalled) {
    checks.push(
      check('client-only install: no zod, no core, no react, the client runs', async () => {
        const modules = join(clientOnly, 'node_modules')
        const unwanted = ['zod', '@docspasta/progress-core', 'react'].filter((name) =>
          existsSync(join(modules, name)),
        )
        if (unwanted.length > 0) throw new Error(`node_modules holds ${unwanted.join(', ')}`)
        // The default and /protocol entries work without core or react; /validate names core
        // and /react names react, optional peers, and each must fail to load without its own.
        const program = `
          const client = await import('@docspasta/progress-client')
          const { progressStreamPath } = await import('@docspasta/progress-client/protocol')
          if (typeof client.subscribeProgress !== 'function') throw new Error('subscribeProgress')
          const path = progressStreamPath('crawl-1')
          if (path !== '/api/crawl-v2/crawl-1/stream') throw new Error(path)
          const outcome = (entry) => import('@docspasta/progress-client/' + entry)
            .then(() => 'loads', (error) => error.code)
          console.log(await outcome('validate'), await outcome('react'))`
        const output = await run(
          'node',
          ['--input-type=module', '-e', program],
          PROGRAM_RUN(clientOnly),
        )
        const [validate, react] = output.trim().split(' ')
        if (validate !== 'ERR_MODULE_NOT_FOUND')
          throw new Error(`/validate without core: ${validate}`)
        if (react !== 'ERR_MODULE_NOT_FOUND') throw new Error(`/react without react: ${react}`)
        return `node_modules ${folderBytes(modules)} bytes; /validate without core: ${validate}; /react without react: ${react}`
      }),
    )
  }
  await Promise.all(checks)
} catch (error) {
  failures.push(error instanceof Error ? error.message : String(error))
} finally {
  rmSync(temp, { recursive: true, force: true })
}

console.log(`\ncheck:install (${seconds(started)})\n${summary.join('\n')}`)
if (failures.length > 0) {
  console.error(`\n${failures.length} check(s) failed:\n\n${failures.join('\n\n')}`)
  process.exit(1)
}
