import { connect, createServer, type Socket } from 'node:net';

export interface FreezingProxy {
  port: number;
  /**
   * When the next connection opens, before any of its bytes pass, nothing passes either way any more,
   * on open connections and new ones: a server gone silent
   */
  freezeAtNextConnection(): void;
  /** everything held passes, in order, and traffic flows again */
  thaw(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 in front of a real server (TLS passes through untouched), that can freeze:
 * the way an API server that stopped answering looks to a client, without stopping it for the rest of
 * the lab.
 */
export async function freezingProxy(targetPort: number): Promise<FreezingProxy> {
  let frozen = false;
  let freezeAtNext = false;
  const held: Array<{ to: Socket; data: Buffer }> = [];
  const sockets = new Set<Socket>();
  const forward = (from: Socket, to: Socket) => {
    from.on('data', (data: Buffer) => {
      if (frozen) held.push({ to, data });
      else to.write(data);
    });
    from.on('close', () => to.destroy());
    from.on('error', () => to.destroy());
  };
  const server = createServer((client) => {
    if (freezeAtNext) frozen = true;
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    forward(client, upstream);
    forward(upstream, client);
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
  return {
    port,
    freezeAtNextConnection: () => {
      freezeAtNext = true;
    },
    thaw: () => {
      frozen = false;
      freezeAtNext = false;
      for (const { to, data } of held.splice(0)) if (!to.destroyed) to.write(data);
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
