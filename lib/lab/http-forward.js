#!/usr/bin/env node
/*
 * Forwards HTTP from a TCP address in a lab namespace to an HTTP server on a Unix socket (which a process in
 * another network namespace listens on: Unix sockets live in the filesystem, not in a network namespace),
 * adding `X-Lab-Remote-Address` so the server knows which droplet called. Used for the lab's stand-in of the
 * DigitalOcean API (lib/lab/do-api.ts):
 *
 *   node http-forward.js <listen address> <port> <unix socket>
 *
 * Prints "ready" once listening.
 */
'use strict';
const http = require('http');

const [host, port, socketPath] = process.argv.slice(2);
if (!host || !port || !socketPath) {
  console.error('usage: http-forward.js <listen address> <port> <unix socket>');
  process.exit(2);
}

const server = http.createServer((req, res) => {
  const headers = { ...req.headers, 'x-lab-remote-address': req.socket.remoteAddress };
  const upstream = http.request({ socketPath, method: req.method, path: req.url, headers, timeout: 30000 }, (up) => {
    res.writeHead(up.statusCode, up.headers);
    up.pipe(res);
  });
  upstream.on('timeout', () => upstream.destroy(new Error('upstream timeout')));
  upstream.on('error', (e) => {
    if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ id: 'bad_gateway', message: `lab API stand-in unreachable: ${e.message}` }));
  });
  req.pipe(upstream);
});

server.listen(Number(port), host, () => console.log(`ready http://${host}:${port} -> ${socketPath}`));
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 1000).unref();
  });
}
