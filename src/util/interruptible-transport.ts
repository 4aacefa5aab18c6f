import { Socket } from 'node:net';
import { buildConnector, type Dispatcher, errors as undiciErrors } from 'undici';

/**
 * What an undici dispatcher needs to stop at an interrupt. undici acts on an abort only once the
 * request has a connection: one queued behind a connect that never finishes (a server gone silent
 * mid-handshake) waits out the 10 s connect timeout, and an interrupt with it (undici issue #386);
 * closing the dispatcher waits for that request, and even a destroyed one leaves the socket in its
 * handshake, holding the process, until the same timeout.
 *
 * So the caller is answered at the abort (settledAtAbort), as undici would have, and close() drops
 * what was abandoned so: the dispatcher is destroyed, and the sockets still connecting with it. The
 * connector kept for that is undici's own; it returns the socket, though its types do not say so,
 * and where it stops doing so nothing is kept and the old wait comes back.
 */
export class InterruptibleTransport {
  /** the connector to give the dispatcher (`connect`) */
  readonly connect: buildConnector.connector;
  private readonly connecting = new Set<Socket>();
  /** requests answered at an abort that undici still holds */
  private abandoned = 0;
  private closed: Promise<void> | undefined;

  constructor(options: buildConnector.BuildOptions) {
    const connectWith = buildConnector(options) as (...args: Parameters<buildConnector.connector>) => unknown;
    this.connect = (target, callback) => {
      let opening: unknown;
      const done: buildConnector.Callback = (...args) => {
        if (opening instanceof Socket) this.connecting.delete(opening);
        callback(...args);
      };
      opening = connectWith(target, done);
      if (opening instanceof Socket && opening.connecting) this.connecting.add(opening);
    };
  }

  /**
   * `request`, answered at the abort of `signal` whatever undici is doing with it; the request itself
   * ends when undici reaches it, and a response that still comes is discarded.
   */
  settledAtAbort<T extends { body: { destroy(): unknown } }>(
    request: Promise<T>,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    if (!signal) return request;
    return new Promise((resolve, reject) => {
      let answered = false;
      const onAbort = () => {
        answered = true;
        this.abandoned++;
        reject(new undiciErrors.RequestAbortedError());
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      const settled = () => {
        signal.removeEventListener('abort', onAbort);
        if (answered) this.abandoned--;
      };
      request.then(
        (response) => {
          settled();
          if (signal.aborted) response.body.destroy();
          else resolve(response);
        },
        (error: unknown) => {
          settled();
          reject(error);
        },
      );
    });
  }

  /**
   * Closes `dispatcher`: waits for the requests in flight to end, but not for one answered at an
   * abort, which is dropped with the connections still opening. A second call returns the first's.
   */
  close(dispatcher: Dispatcher): Promise<void> {
    if (this.abandoned > 0) for (const socket of this.connecting) socket.destroy();
    this.closed ??= this.abandoned > 0 ? dispatcher.destroy() : dispatcher.close();
    return this.closed;
  }
}
