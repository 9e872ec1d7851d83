// @ts-check
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

// The pnpm workspace root. The workspace packages are symlinks into ../../packages: Turbopack
// resolves files only inside its root, and output file tracing must follow them there too.
const workspaceRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

/** @type {import('next').NextConfig} */
const nextConfig = {
  turbopack: { root: workspaceRoot },
  outputFileTracingRoot: workspaceRoot,
  // Loaded from node_modules at run time rather than bundled: Node-only clients with optional
  // native parts.
  serverExternalPackages: ['bullmq', 'ioredis'],
  poweredByHeader: false,
}

export default nextConfig
