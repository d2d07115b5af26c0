import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** A local HTTP server standing in for a Docker engine, and the requests it received (`GET /_ping`, ...). */
export interface FakeDockerEngine {
  /** Its address as a DOCKER_HOST (`tcp://127.0.0.1:port`, or `unix://path` when started on a socket). */
  readonly dockerHost: string;
  readonly requests: string[];
  close(): Promise<void>;
}

/**
 * An engine that answers `GET /_ping` with `OK` and `GET /info` with `{}` (enough for testcontainers to pick it),
 * and every other request with HTTP 500 "fake engine: ..." (so nothing is ever started).
 * `answer` replaces that behaviour; `socketPath` listens on a unix socket instead of a loopback port.
 */
export async function startFakeDockerEngine(
  options: { socketPath?: string; answer?: (request: IncomingMessage, response: ServerResponse) => void } = {},
): Promise<FakeDockerEngine> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    if (options.answer) return options.answer(request, response);
    if (request.url === '/_ping') return void response.end('OK');
    if (/^(\/v[\d.]+)?\/info$/.test(request.url ?? '')) return void response.setHeader('content-type', 'application/json').end('{}');
    response.statusCode = 500;
    response.setHeader('content-type', 'application/json').end(JSON.stringify({ message: `fake engine: no ${request.url}` }));
  });
  await new Promise<void>((resolve) =>
    options.socketPath ? server.listen(options.socketPath, resolve) : server.listen(0, '127.0.0.1', resolve),
  );
  const address = server.address();
  const dockerHost = typeof address === 'string' ? `unix://${address}` : `tcp://127.0.0.1:${address!.port}`;
  return {
    dockerHost,
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
