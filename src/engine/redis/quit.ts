import type { RedisClient } from './scripts.js';

/** How long {@link endConnection} lets QUIT end a connection before it drops it. */
export const QUIT_WAIT_MS = 1_000;

/**
 * Ends a client's connection: QUIT when it is connected, so the commands sent before it are still answered,
 * but for at most `waitMs`. QUIT waits behind those commands, so a Redis that stopped answering (a long script,
 * a pause) would hold it until a command timeout, or forever without one; a connection lost during QUIT leaves
 * the client waiting to reconnect, which never emits 'end'. Then, or at once when the client is not connected
 * (QUIT would wait for a server that may never come back), it disconnects, which also cancels any reconnection.
 */
export async function endConnection(client: RedisClient, waitMs = QUIT_WAIT_MS): Promise<void> {
  if (client.status === 'end') return;
  if (client.status === 'ready') {
    const ended = new Promise((resolve) => client.once('end', resolve));
    client.quit().catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ended, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
  }
  client.disconnect();
}
