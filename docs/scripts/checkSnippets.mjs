// Typechecks every TypeScript block of README.md, packages/*/README.md and docs/**/*.md, as a
// reader would paste it: each block (with its `snippet-setup`, see markdownBlocks.mjs) becomes
// a module of its own under docs/.snippets/, and one TypeScript program checks them all against
// the packages' published types (the built dist/, no source condition), with `strict` and
// `moduleResolution: bundler`. Errors point at the markdown file and line.
//
//   pnpm build && pnpm --filter @docspasta/docs check:snippets

import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import { allTypescriptBlocks, generatedPath, REPO_ROOT } from './markdownBlocks.mjs'

const DOCS = path.join(REPO_ROOT, 'docs')
const OUT = path.join(DOCS, '.snippets')

const COMPILER_OPTIONS = {
  target: 'ES2022',
  lib: ['ES2023', 'DOM', 'DOM.Iterable'],
  module: 'ESNext',
  moduleResolution: 'Bundler',
  strict: true,
  skipLibCheck: true,
  noEmit: true,
  esModuleInterop: true,
  isolatedModules: true,
  // The automatic runtime, as React 17+ apps compile it: a ```tsx block needs no React import,
  // and its elements are typed by react/jsx-runtime (@types/react has no global JSX namespace).
  jsx: 'react-jsx',
  types: ['node'],
}

const PACKAGES = ['protocol', 'core', 'client', 'redis', 'testing']
const missing = PACKAGES.filter(
  (name) => !existsSync(path.join(REPO_ROOT, 'packages', name, 'dist', 'index.d.ts')),
)
if (missing.length > 0) {
  console.error(
    `check:snippets needs the built packages (no dist/ in ${missing.join(', ')}): run pnpm build`,
  )
  process.exit(1)
}

const blocks = allTypescriptBlocks()
rmSync(OUT, { recursive: true, force: true })

/** For each generated file: its lines' places in the markdown. */
const origins = new Map()
/** `@/<name>` for each block that names a file outside this repository. */
const paths = {}

for (const block of blocks) {
  const relative = generatedPath(block)
  const file = path.join(OUT, relative)
  mkdirSync(path.dirname(file), { recursive: true })
  const lines = []
  const places = []
  const inRepository = block.name && existsSync(path.join(REPO_ROOT, path.dirname(block.name)))
  // A block that names a file of this repository imports its neighbours relatively.
  const resolveRelative = (text) =>
    inRepository
      ? text.replace(
          /(from\s+|import\s*\(?\s*)(['"])(\.{1,2}\/[^'"]+)\2/g,
          (_, head, quote, spec) => {
            const target = path.resolve(REPO_ROOT, path.dirname(block.name), spec)
            let fromHere = path.relative(path.dirname(file), target).split(path.sep).join('/')
            if (!fromHere.startsWith('.')) fromHere = `./${fromHere}`
            return `${head}${quote}${fromHere}${quote}`
          },
        )
      : text
  if (block.setup) {
    block.setup.code.forEach((text, index) => {
      lines.push(resolveRelative(text))
      places.push({ line: block.setup.line + index, indent: block.setup.indent })
    })
  }
  block.code.forEach((text, index) => {
    lines.push(resolveRelative(text))
    places.push({ line: block.line + index, indent: block.indent })
  })
  // Each block is a module of its own, even one without an import or export.
  lines.push('export {}')
  places.push({ line: block.fenceLine, indent: 0 })
  writeFileSync(file, `${lines.join('\n')}\n`)
  origins.set(path.resolve(file), { block, places })
  if (block.name && !inRepository) {
    const alias = `@/${block.name.replace(/\.(ts|tsx|mts|cts)$/, '')}`
    // A file shown twice (two versions of one route) is imported as the first one shown.
    paths[alias] ??= [`./${relative.split(path.sep).join('/')}`]
  }
}

const tsconfig = {
  // Written for editors and `npx tsc -p docs/.snippets`; this script passes the same options.
  compilerOptions: { ...COMPILER_OPTIONS, paths },
  include: ['**/*.ts', '**/*.tsx'],
}
writeFileSync(path.join(OUT, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`)

const parsed = ts.getParsedCommandLineOfConfigFile(path.join(OUT, 'tsconfig.json'), undefined, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
    throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'))
  },
})
if (parsed.errors.length > 0) {
  const messages = parsed.errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
  throw new Error(`the generated tsconfig.json: ${messages.join('; ')}`)
}
// Every block must be in the program: a check of fewer files than blocks would pass unseen.
const rootNames = new Set(parsed.fileNames.map((file) => path.resolve(file)))
const unchecked = [...origins].filter(([file]) => !rootNames.has(file))
if (blocks.length === 0 || unchecked.length > 0) {
  const where = unchecked.map(([, { block }]) => `${block.file}:${block.fenceLine}`)
  throw new Error(`no TypeScript block found, or blocks left out of the check: ${where.join(', ')}`)
}
const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options })
const diagnostics = ts.getPreEmitDiagnostics(program)

const byBlock = new Map()
for (const diagnostic of diagnostics) {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n  ')
  if (!diagnostic.file || diagnostic.start === undefined) {
    console.error(`error TS${diagnostic.code}: ${message}`)
    continue
  }
  const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
  const origin = origins.get(path.resolve(diagnostic.file.fileName))
  if (!origin) {
    const where = path.relative(REPO_ROOT, diagnostic.file.fileName)
    console.error(`${where}:${line + 1}:${character + 1} error TS${diagnostic.code}: ${message}`)
    continue
  }
  const place = origin.places[line] ?? { line: origin.block.fenceLine, indent: 0 }
  const where = `${origin.block.file}:${place.line}:${character + 1 + place.indent}`
  console.error(`${where} error TS${diagnostic.code}: ${message}`)
  byBlock.set(origin.block, (byBlock.get(origin.block) ?? 0) + 1)
}

const files = new Set(blocks.map((block) => block.file))
if (diagnostics.length > 0) {
  console.error(
    `\n${diagnostics.length} error(s) in ${byBlock.size} of ${blocks.length} TypeScript blocks ` +
      `(${files.size} markdown files). Generated modules: ${path.relative(REPO_ROOT, OUT)}/`,
  )
  process.exit(1)
}
console.log(
  `${blocks.length} TypeScript blocks in ${files.size} markdown files typecheck ` +
    `(strict, moduleResolution bundler, against the built packages).`,
)
for (const file of files) {
  const count = blocks.filter((block) => block.file === file).length
  console.log(`  ${file}: ${count}`)
}
