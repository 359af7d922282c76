/**
 * `npm run start -w @meterops/web`: the built app behind Node's HTTP server, as `next start` serves it,
 * plus the one thing `next start` cannot do: tell Next the real client address. The socket address and
 * the X-Forwarded-For entries of trusted proxies (TRUSTED_PROXIES) give it; whatever else the client wrote
 * into the header is dropped, so sign-in throttling keys on an address the client cannot choose.
 */
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import next from 'next';
import { env } from './src/env';
import { resolveClientAddress } from './src/server/client-address';

const app = next({ dev: false, dir: path.dirname(fileURLToPath(import.meta.url)), port: env.WEB_PORT });
await app.prepare();
const handle = app.getRequestHandler();

createServer((request, response) => {
  request.headers['x-forwarded-for'] = resolveClientAddress({
    forwardedFor: request.headers['x-forwarded-for'],
    socketAddress: request.socket.remoteAddress,
    trustedProxies: env.TRUSTED_PROXIES,
  });
  handle(request, response).catch((error: unknown) => {
    console.error('request failed', error);
    if (!response.headersSent) response.writeHead(500);
    response.end();
  });
}).listen(env.WEB_PORT, () => {
  console.log(`MeterOps web listening on port ${env.WEB_PORT} (${env.TRUSTED_PROXIES} trusted proxies)`);
});
