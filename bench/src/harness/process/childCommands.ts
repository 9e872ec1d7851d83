// The child side of the parent ↔ child protocol: the parent sends `{ id, command, args }` over
// the IPC channel and gets `{ id, ok, result | error }` back. A child whose parent is gone exits,
// so a crashed runner never leaves servers or clients behind.

export type CommandHandler = (args: unknown) => unknown
export type CommandHandlers = Record<string, CommandHandler>

export interface CommandMessage {
  id: number
  command: string
  args: unknown
}

export interface ReplyMessage {
  id: number
  ok: boolean
  result?: unknown
  error?: string
}

function isCommandMessage(value: unknown): value is CommandMessage {
  return typeof value === 'object' && value !== null && 'id' in value && 'command' in value
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error)
}

/**
 * Answers the parent's commands with `handlers`. The built-in `exit` command runs `onExit`,
 * replies, then exits the process once the reply is flushed.
 */
export function serveCommands(handlers: CommandHandlers, onExit: () => Promise<void>): void {
  const send = (reply: ReplyMessage, then?: () => void) => {
    if (!process.connected) return
    process.send?.(reply, undefined, {}, () => then?.())
  }
  process.on('message', (message: unknown) => {
    if (!isCommandMessage(message)) return
    const { id, command, args } = message
    if (command === 'exit') {
      onExit().then(
        () => send({ id, ok: true }, () => process.exit(0)),
        (error: unknown) => send({ id, ok: false, error: describe(error) }, () => process.exit(1)),
      )
      return
    }
    const handler = handlers[command]
    if (!handler) {
      send({ id, ok: false, error: `unknown command ${command}` })
      return
    }
    Promise.resolve()
      .then(() => handler(args))
      .then(
        (result) => send({ id, ok: true, result }),
        (error: unknown) => send({ id, ok: false, error: describe(error) }),
      )
  })
  process.on('disconnect', () => process.exit(0))
  const fatal = (error: unknown) => {
    process.stderr.write(`[${process.argv[2] ?? 'child'}] fatal: ${describe(error)}\n`)
    process.exit(70)
  }
  process.on('uncaughtException', fatal)
  process.on('unhandledRejection', fatal)
}

/** The JSON argument the parent passed as argv[3]. */
export function childArgs<T>(): T {
  const raw = process.argv[3]
  if (raw === undefined) throw new Error('missing child arguments')
  return JSON.parse(raw) as T
}
