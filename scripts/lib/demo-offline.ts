/**
 * Keeps the demo on this machine. Every bundle runs with NODE_USE_ENV_PROXY=1 and HTTPS_PROXY /
 * HTTP_PROXY pointing here, NO_PROXY covering 127.0.0.1 and localhost (the stand-in), so any other
 * host a bundle asks for comes to this proxy, which refuses it and writes the host down. The
 * actions fetch the Kubernetes release calendar from raw.githubusercontent.com; refused, they
 * warn and fall back to release date + 14 months, as they do on any runner that cannot reach it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OfflineGuard {
  /** Variables for every process the demo starts. */
  env: Record<string, string>;
  /** `host:port` of every request refused, in order. */
  refused: string[];
  close(): Promise<void>;
}

export async function startOfflineGuard(): Promise<OfflineGuard> {
  const refused: string[] = [];
  const server: Server = createServer((req, res) => {
    refused.push(req.headers.host ?? req.url ?? '?');
    res
      .writeHead(403, { 'content-type': 'text/plain' })
      .end('The demo reaches nothing outside this machine.\n');
  });
  server.on('connect', (req, socket) => {
    refused.push(req.url ?? '?');
    socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const noProxy = '127.0.0.1,localhost,::1';
  return {
    env: {
      NODE_USE_ENV_PROXY: '1',
      HTTPS_PROXY: proxy,
      https_proxy: proxy,
      HTTP_PROXY: proxy,
      http_proxy: proxy,
      NO_PROXY: noProxy,
      no_proxy: noProxy,
    },
    refused,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
