#!/usr/bin/env node
/*
 * The lab's DigitalOcean metadata service for one droplet namespace (started by lib/lab/metadata.ts):
 *
 *   node metadata-server.js <answers.json> <listen address> <port>
 *
 * Reads <answers.json> on every request, so the lab updates answers (a reserved IP moved) by rewriting the
 * file. The file is {"paths": {"/metadata/v1/id": "123", ...}, "json": {...}}: a path answers its text, a
 * directory (`/metadata/v1/`, `/metadata/v1/interfaces/`) lists its children as DigitalOcean does (`name/` for
 * directories), `/metadata/v1.json` answers `json`. Prints "ready" once listening.
 */
'use strict';
const fs = require('fs');
const http = require('http');

const [file, host, port] = process.argv.slice(2);
if (!file || !host || !port) {
  console.error('usage: metadata-server.js <answers.json> <listen address> <port>');
  process.exit(2);
}

function answers() {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function listing(paths, dir) {
  const children = new Set();
  for (const p of Object.keys(paths)) {
    if (!p.startsWith(dir)) continue;
    const rest = p.slice(dir.length);
    const slash = rest.indexOf('/');
    children.add(slash === -1 ? rest : `${rest.slice(0, slash)}/`);
  }
  return [...children].sort();
}

const server = http.createServer((req, res) => {
  let status = 200;
  let body;
  let type = 'text/plain; charset=utf-8';
  try {
    const { paths, json } = answers();
    const path = decodeURIComponent(new URL(req.url, 'http://metadata').pathname);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      status = 405;
      body = 'method not allowed\n';
    } else if (path === '/metadata/v1.json') {
      type = 'application/json';
      body = JSON.stringify(json);
    } else if (Object.prototype.hasOwnProperty.call(paths, path)) {
      body = paths[path];
    } else {
      const dir = path.endsWith('/') ? path : `${path}/`;
      const children = listing(paths, dir);
      if (children.length > 0) body = `${children.join('\n')}\n`;
      else {
        status = 404;
        body = 'not found\n';
      }
    }
  } catch (e) {
    status = 500;
    body = `metadata unavailable: ${e.message}\n`;
  }
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
});

server.listen(Number(port), host, () => console.log(`ready http://${host}:${port}`));
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 1000).unref();
  });
}
