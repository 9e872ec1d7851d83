// Bundles the documentation's browser code as an app would ship it, against the built packages:
// every block marked `<!-- snippet-browser -->` (with its `snippet-setup`, see
// markdownBlocks.mjs) and the examples' browser code (examples/*/public/**: the scripts of each
// HTML page, inline or by src, and any other script file there; and examples/*/src/browser/main.ts,
// the entry that an example's server bundles and serves, as a page's src that public/ lacks). esbuild, platform browser,
// format esm, minified; gzip level 9. Prints `<file>:<line> <bytes> B min+gzip` for each, and
// fails when one exceeds BROWSER_BUDGET_BYTES, bundles zod, or imports a Node module.
//
//   pnpm build && pnpm --filter @docspasta/docs check:bundles

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { allTypescriptBlocks, REPO_ROOT } from './markdownBlocks.mjs'

/** The most a documented browser snippet may cost an app, min+gzip (docs/guides/client.md). */
const BROWSER_BUDGET_BYTES = 6_000

const NODE_MODULES = new Set(builtinModules)

/**
 * One entry, bundled for the browser.
 *
 * @param {{ code: string, sourcefile: string, resolveDir: string, loader?: 'ts' | 'tsx' | 'js' }} entry
 * @returns {Promise<{ bytes: number, problems: string[] }>}
 */
async function bundleForBrowser({ code, sourcefile, resolveDir, loader = 'ts' }) {
  /** Node modules imported, each with the first file that imports it. */
  const nodeImports = new Map()
  const problems = []
  let result
  try {
    result = await build({
      stdin: { contents: code, sourcefile, resolveDir, loader },
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      metafile: true,
      logLevel: 'silent',
      plugins: [
        {
          name: 'no-node-modules',
          setup(builder) {
            builder.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => {
              const name = args.path.replace(/^node:/, '')
              if (!args.path.startsWith('node:') && !NODE_MODULES.has(name)) return undefined
              if (!nodeImports.has(args.path)) {
                nodeImports.set(args.path, path.relative(REPO_ROOT, args.importer) || sourcefile)
              }
              return { path: args.path, external: true }
            })
          },
        },
      ],
    })
  } catch (error) {
    const messages = error.errors?.map((item) => item.text) ?? [String(error)]
    return { bytes: 0, problems: messages.map((message) => `does not bundle: ${message}`) }
  }
  if (nodeImports.size > 0) {
    const [[first, importer]] = nodeImports
    problems.push(
      `imports Node modules: ${[...nodeImports.keys()].join(', ')} (${first} from ${importer})`,
    )
  }
  const zod = Object.keys(result.metafile.inputs).filter((input) => /(^|\/)zod\//.test(input))
  if (zod.length > 0) problems.push(`bundles zod (${zod.length} files, e.g. ${zod[0]})`)
  const bytes = gzipSync(result.outputFiles[0].contents, { level: 9 }).byteLength
  return { bytes, problems }
}

/** The browser code of the examples: each page's scripts, and other script files. */
function exampleBrowserEntries(root = REPO_ROOT) {
  const entries = []
  const examples = path.join(root, 'examples')
  if (!existsSync(examples)) return entries
  for (const example of readdirSync(examples, { withFileTypes: true })) {
    const publicDir = path.join(examples, example.name, 'public')
    if (!example.isDirectory() || !existsSync(publicDir)) continue
    const browserEntry = path.join(examples, example.name, 'src', 'browser', 'main.ts')
    const bundled = existsSync(browserEntry)
    if (bundled) {
      entries.push(scriptEntry(browserEntry, `${path.relative(root, browserEntry)}:1`))
    }
    const files = listFiles(publicDir)
    const referenced = new Set()
    for (const file of files.filter((name) => name.endsWith('.html'))) {
      const html = readFileSync(file, 'utf8')
      for (const match of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
        const [tag, attributes, body] = match
        const line = html.slice(0, match.index).split('\n').length
        const where = `${path.relative(root, file)}:${line}`
        const src = /\bsrc\s*=\s*["']([^"']+)["']/i.exec(attributes)?.[1]
        if (src) {
          if (/^(https?:)?\/\//.test(src)) continue // another origin's script is not ours
          // The example serves public/ at its root.
          const script = src.startsWith('/')
            ? path.join(publicDir, src)
            : path.resolve(path.dirname(file), src)
          // A script the server bundles from src/browser/main.ts (checked above).
          if (!existsSync(script) && bundled) continue
          referenced.add(script)
          entries.push(scriptEntry(script, where))
        } else if (!/type\s*=\s*["']?(application\/json|importmap|text\/template)/i.test(tag)) {
          if (body.trim() === '') continue
          entries.push({
            where,
            code: body,
            sourcefile: where,
            resolveDir: path.dirname(file),
            loader: 'js',
          })
        }
      }
    }
    for (const file of files.filter((name) => /\.(m?js|ts|tsx)$/.test(name))) {
      if (!referenced.has(file)) entries.push(scriptEntry(file, `${path.relative(root, file)}:1`))
    }
  }
  return entries
}

function scriptEntry(file, where) {
  const extension = path.extname(file).slice(1)
  return {
    where,
    code: readFileSync(file, 'utf8'),
    sourcefile: file,
    resolveDir: path.dirname(file),
    loader: extension === 'ts' || extension === 'tsx' ? extension : 'js',
  }
}

function listFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name)
    return entry.isDirectory() ? listFiles(file) : [file]
  })
}

/** The documented browser blocks, each with its setup, resolved from docs/ (its packages). */
function snippetBrowserEntries(root = REPO_ROOT) {
  return allTypescriptBlocks(root)
    .filter((block) => block.browser)
    .map((block) => ({
      where: `${block.file}:${block.fenceLine}`,
      code: [...(block.setup?.code ?? []), ...block.code].join('\n'),
      sourcefile: `${block.file}:${block.fenceLine}`,
      resolveDir: path.join(REPO_ROOT, 'docs'),
      loader: block.language === 'tsx' ? 'tsx' : 'ts',
    }))
}

async function main() {
  const missing = ['protocol', 'core', 'client'].filter(
    (name) => !existsSync(path.join(REPO_ROOT, 'packages', name, 'dist', 'index.js')),
  )
  if (missing.length > 0) {
    console.error(`check:bundles needs the built packages (no dist/ in ${missing.join(', ')})`)
    process.exit(1)
  }
  const entries = [...snippetBrowserEntries(), ...exampleBrowserEntries()]
  if (entries.length === 0) {
    console.error('check:bundles found no browser code: no snippet-browser block, no example page')
    process.exit(1)
  }
  let failed = 0
  for (const entry of entries) {
    const { bytes, problems } = await bundleForBrowser(entry)
    if (bytes > BROWSER_BUDGET_BYTES) {
      problems.push(`over the browser budget of ${BROWSER_BUDGET_BYTES} B min+gzip`)
    }
    console.log(`${entry.where} ${bytes} B min+gzip`)
    for (const problem of problems) console.error(`  ${entry.where}: ${problem}`)
    if (problems.length > 0) failed++
  }
  const summary = `${entries.length} browser bundles, budget ${BROWSER_BUDGET_BYTES} B min+gzip each`
  if (failed > 0) {
    console.error(`${failed} of ${summary} failed`)
    process.exit(1)
  }
  console.log(`${summary}: all within it, no zod, no Node module`)
}

await main()
