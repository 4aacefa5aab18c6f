import { createServer } from 'node:net';
import { runtimeError } from '../errors.js';

/** A port on 127.0.0.1 that was free a moment ago (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Fails with a clear message when a port the user fixed is taken. */
export function assertPortFree(port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        runtimeError(`port ${port} for ${what} is taken (${error.code ?? error.message})`, {
          hint: 'stop what uses it (ss -ltnp), or choose another port, or let vitictl pick free ones',
        }),
      );
    });
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}
