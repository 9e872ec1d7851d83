// The code blocks of the documentation, as the checks see them: which markdown files, which
// blocks, and what a block's HTML comments ask for.
//
// Conventions (HTML comments right before a block; blank lines between them are allowed):
//
//   <!-- snippet-setup
//   import type { ProgressService } from '@docspasta/progress-core'
//   declare const progress: ProgressService
//   -->
//     Code prepended to the block when it is checked, hidden from readers: the imports and
//     declarations a fragment takes for granted.
//
//   <!-- snippet-browser -->
//     The block runs in a browser: checkBrowserBundles.mjs bundles it (with its setup) and holds
//     it to the browser budget.
//
// A block whose first line is a comment naming a file (`// lib/progress.ts`) is that file: other
// blocks can import it as `@/lib/progress`, the alias a Next.js app uses. When the named file's
// folder exists in this repository (`// packages/redis/test/integration/x.test.ts`), the block's
// relative imports resolve from there.

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

const TS_LANGUAGES = new Set(['ts', 'typescript', 'tsx'])

/**
 * The markdown files whose blocks are checked, relative to the repository root: README.md,
 * packages/*\/README.md and every .md file under docs/ (generated folders and node_modules
 * excluded).
 */
export function markdownFiles(root = REPO_ROOT) {
  const files = ['README.md']
  for (const entry of readdirSync(path.join(root, 'packages'), { withFileTypes: true })) {
    if (!entry.isDirectory()) continue
    const readme = path.join('packages', entry.name, 'README.md')
    if (existsSync(path.join(root, readme))) files.push(readme)
  }
  const walk = (dir) => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue
      const relative = path.join(dir, entry.name)
      if (entry.isDirectory()) walk(relative)
      else if (entry.name.endsWith('.md')) files.push(relative)
    }
  }
  walk('docs')
  return files.map((file) => file.split(path.sep).join('/')).sort()
}

/**
 * @typedef {object} CodeBlock
 * @property {string} file - the markdown file, relative to the repository root
 * @property {number} line - 1-based line of the block's first code line
 * @property {number} fenceLine - 1-based line of the opening fence
 * @property {string} language - `ts`, `typescript` or `tsx`
 * @property {string[]} code - the block's lines, without the indentation of its fence
 * @property {number} indent - columns removed from each line
 * @property {{ code: string[], line: number, indent: number } | undefined} setup - the setup
 *   comment's code lines and the 1-based line of its first one
 * @property {boolean} browser - marked `snippet-browser`
 * @property {string | undefined} name - the file the block names on its first line
 */

/** Every TypeScript block of one markdown file. */
export function typescriptBlocks(file, root = REPO_ROOT) {
  const lines = readFileSync(path.join(root, file), 'utf8').split('\n')
  /** @type {CodeBlock[]} */
  const blocks = []
  for (let index = 0; index < lines.length; index++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[index])
    if (!open) continue
    const [, indentText, fence, info] = open
    const indent = indentText.length
    let end = index + 1
    while (end < lines.length) {
      const close = /^(\s*)(`{3,}|~{3,})\s*$/.exec(lines[end])
      if (close && close[2][0] === fence[0] && close[2].length >= fence.length) break
      end++
    }
    const language = info.toLowerCase()
    if (TS_LANGUAGES.has(language)) {
      const code = lines.slice(index + 1, end).map((line) => stripIndent(line, indent))
      const comments = commentsBefore(lines, index)
      const setupComment = comments.find((comment) => comment.kind === 'snippet-setup')
      const named = /^\/\/\s*((?:[\w.@[\]-]+\/)*[\w.[\]-]+\.(?:ts|tsx|mts|cts))\s*$/.exec(
        code[0] ?? '',
      )
      blocks.push({
        file,
        line: index + 2,
        fenceLine: index + 1,
        language,
        code,
        indent,
        setup: setupComment && {
          code: setupComment.body,
          line: setupComment.bodyLine,
          indent: setupComment.indent,
        },
        browser: comments.some((comment) => comment.kind === 'snippet-browser'),
        name: named?.[1],
      })
    }
    index = end
  }
  return blocks
}

function stripIndent(line, indent) {
  let removed = 0
  while (removed < indent && (line[removed] === ' ' || line[removed] === '\t')) removed++
  return line.slice(removed)
}

/**
 * The HTML comments right before the line at `fenceIndex` (blank lines between them allowed),
 * nearest first.
 */
function commentsBefore(lines, fenceIndex) {
  const comments = []
  let index = fenceIndex - 1
  for (;;) {
    while (index >= 0 && lines[index].trim() === '') index--
    if (index < 0 || !lines[index].trim().endsWith('-->')) break
    const end = index
    while (index >= 0 && !lines[index].includes('<!--')) index--
    if (index < 0) break
    const start = index
    const indent = lines[start].length - lines[start].trimStart().length
    const first = lines[start].trim().slice(4).trim() // after '<!--'
    const kind = first.split(/\s/)[0].replace(/-->$/, '')
    let body = []
    let bodyLine = start + 2
    if (start === end) {
      const inline = first
        .slice(kind.length)
        .replace(/-->\s*$/, '')
        .trim()
      if (inline) {
        body = [inline]
        bodyLine = start + 1
      }
    } else {
      const rest = first.slice(kind.length).trim()
      if (rest) {
        body.push(rest)
        bodyLine = start + 1
      }
      for (let line = start + 1; line < end; line++) body.push(stripIndent(lines[line], indent))
      const last = lines[end].trim().replace(/-->$/, '').trim()
      if (last) body.push(last)
    }
    comments.push({ kind, body, bodyLine, indent })
    index = start - 1
  }
  return comments
}

/** Every TypeScript block of the documentation. */
export function allTypescriptBlocks(root = REPO_ROOT) {
  return markdownFiles(root).flatMap((file) => typescriptBlocks(file, root))
}

/** A block's folder and file name under a generated folder: `<md file>/L<line>.<ext>`. */
export function generatedPath(block) {
  const extension = block.language === 'tsx' ? 'tsx' : 'ts'
  return path.join(...block.file.split('/'), `L${block.fenceLine}.${extension}`)
}
