import { createServer, type Socket, connect as tcpConnect } from 'node:net'

/**
 * A TCP proxy on loopback in front of a Redis server, for faults that need Redis to be slow at a
 * precise moment: while `holdReplies` is on, bytes from Redis wait in the proxy (a server busy
 * during a client's reconnect handshake), and each new client connection is announced.
 */
export interface TcpProxy {
  port: number
  url: string
  /** Holds (true) or releases (false) every byte from Redis to the clients. */
  holdReplies(hold: boolean): void
  /**
   * Holds (true) or releases (false) the bytes from Redis to client connections made from now
   * on; connections open already go on as they are.
   */
  holdNewConnections(hold: boolean): void
  /**
   * Resolves when the next client connection has sent its first command: the client is
   * connected then, and in its handshake while replies are held.
   */
  nextConnection(): Promise<void>
  close(): Promise<void>
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>()
  const held: { client: Socket; chunk: Buffer }[] = []
  let holding = false
  let holdingNew = false
  const heldConnections = new Set<Socket>()
  let onConnection: (() => void) | undefined

  const server = createServer((client) => {
    const upstream = tcpConnect(targetPort, '127.0.0.1')
    if (holdingNew) heldConnections.add(client)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {
        client.destroy()
        upstream.destroy()
      })
    }
    const announce = onConnection
    onConnection = undefined
    client.once('data', () => announce?.())
    client.on('data', (chunk) => upstream.write(chunk))
    upstream.on('data', (chunk) => {
      if (holding || heldConnections.has(client)) held.push({ client, chunk })
      else client.write(chunk)
    })
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  const release = () => {
    const waiting = held.splice(0)
    for (const item of waiting) {
      if (holding || heldConnections.has(item.client)) held.push(item)
      else if (!item.client.destroyed) item.client.write(item.chunk)
    }
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    holdReplies(hold) {
      holding = hold
      if (!hold) release()
    },
    holdNewConnections(hold) {
      holdingNew = hold
      if (hold) return
      heldConnections.clear()
      release()
    },
    nextConnection: () =>
      new Promise<void>((resolve) => {
        onConnection = resolve
      }),
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
