import { parentPort, workerData } from 'node:worker_threads';
import { lowerThisThread } from '../../util/thread-priority.js';
import { targetsDecoder } from './decode.js';
import { ExpositionError } from './exposition-error.js';
import type { DecodeReply, DecodeRequest, SelectPattern } from './worker-decoder.js';

/**
 * Parses expositions off the main thread and encodes the selected families into batches, one
 * encoder per target, so a multi-MiB exposition (the API server's) neither stalls the load's
 * schedule nor crosses back as objects.
 */
// a parse shares the cores with the load's thread: on a busy host it waits, and the starts do not
lowerThisThread();

const pattern = workerData as SelectPattern | undefined;
const select = pattern ? new RegExp(pattern.source, pattern.flags) : undefined;
const decode = targetsDecoder(select);

function answer({ id, target, body, format, maxInputBytes }: DecodeRequest): DecodeReply {
  try {
    return { id, decoded: decode(target, body, format, maxInputBytes) };
  } catch (error) {
    if (error instanceof ExpositionError)
      return {
        id,
        error: { message: error.message, line: error.line, column: error.column, limit: error.limit },
      };
    return { id, error: { message: error instanceof Error ? error.message : String(error) } };
  }
}

parentPort?.on('message', (request: DecodeRequest) => {
  const reply = answer(request);
  parentPort?.postMessage(
    reply,
    'decoded' in reply
      ? [reply.decoded.batch.ids.buffer as ArrayBuffer, reply.decoded.batch.values.buffer as ArrayBuffer]
      : [],
  );
});
