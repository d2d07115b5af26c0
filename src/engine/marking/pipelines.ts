import type { Cluster, Redis } from 'ioredis';

/**
 * Runs `send` with the sockets of a Cluster's masters corked, so that the commands it issues to one master leave
 * in one write: one pipeline per node, while each command keeps the client's own routing, redirections and
 * retries (an ioredis `cluster.pipeline()` must hold only slots of one node, and is redirected only as a whole,
 * when all its commands were refused alike). `send` must issue its commands synchronously.
 */
export function onePipelinePerNode<T>(cluster: Cluster, send: () => T): T {
  const corked: Redis['stream'][] = [];
  for (const { stream } of cluster.nodes('master')) {
    if (stream?.writable) {
      stream.cork();
      corked.push(stream);
    }
  }
  try {
    return send();
  } finally {
    for (const stream of corked) stream.uncork();
  }
}
