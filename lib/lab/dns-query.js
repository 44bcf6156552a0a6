#!/usr/bin/env node
/*
 * Asks one DNS server for the A records of names, as a stub resolver would (started by lib/lab/dns-server.ts inside
 * a lab namespace; Node's resolver is c-ares, so /etc/hosts is never consulted):
 *
 *   node dns-query.js <server address> <name>...
 *
 * Prints one JSON object: name → {"addresses": [{"address": "10.20.16.2", "ttl": 30}, ...]} (sorted), or
 * {"error": "ENOTFOUND"} (NXDOMAIN), "ENODATA", "ECONNREFUSED", "ETIMEOUT", ... 1 s per try, 2 tries.
 */
'use strict';
const { Resolver } = require('dns').promises;

const [server, ...names] = process.argv.slice(2);
if (!server || names.length === 0) {
  console.error('usage: dns-query.js <server address> <name>...');
  process.exit(2);
}

const resolver = new Resolver({ timeout: 1000, tries: 2 });
resolver.setServers([server]);

Promise.all(
  names.map((name) =>
    resolver.resolve4(name, { ttl: true }).then(
      (records) => [name, { addresses: records.map((r) => ({ address: r.address, ttl: r.ttl })).sort((a, b) => (a.address < b.address ? -1 : 1)) }],
      (e) => [name, { error: e.code || String(e) }],
    ),
  ),
).then((entries) => {
  process.stdout.write(`${JSON.stringify(Object.fromEntries(entries))}\n`);
});
