import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';

/** A server that accepts connections and never answers: an InfluxDB that hangs rather than goes down. */
export interface HungServer {
  url: string;
  openConnections(): number;
  close(): Promise<void>;
}

export async function hungServer(): Promise<HungServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    // Reads (and ignores) requests, so that it notices when the client closes the connection.
    socket.resume();
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    openConnections: () => sockets.size,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
