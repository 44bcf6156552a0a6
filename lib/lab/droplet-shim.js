#!/usr/bin/env node
/*
 * The lab's stand-in for commands a droplet cannot run for real here (systemctl, apt-get, apt, certbot). The lab copies
 * this file into each droplet's /run/tierform-lab/ and writes /usr/bin/<command> wrappers calling
 *
 *   node /run/tierform-lab/droplet-shim.js <command> [args...]
 *
 * It forwards the command line to the lab's process over the droplet's own Unix socket
 * (/run/tierform-lab/systemd.sock; the lab knows the droplet by the socket), prints the answer's output and
 * exits with its status. The lab does the work: it starts and stops units with its tracked processes, checks
 * packages on this machine, and issues certificates from the lab CA (lab-ca.ts). See lib/lab/README.md, "Substitutions".
 */
'use strict';
const http = require('http');

const [tool, ...argv] = process.argv.slice(2);
const SOCKET = process.env.TIERFORM_LAB_SHIM_SOCKET || '/run/tierform-lab/systemd.sock';
const body = JSON.stringify({ tool, argv });

const req = http.request(
  {
    socketPath: SOCKET,
    method: 'POST',
    path: `/${tool}`,
    headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
  },
  (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => {
      let answer;
      try {
        answer = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch (e) {
        process.stderr.write(`tierform lab ${tool} shim: unreadable answer (${e.message})\n`);
        process.exit(1);
      }
      if (answer.stdout) process.stdout.write(answer.stdout);
      if (answer.stderr) process.stderr.write(answer.stderr);
      process.exitCode = typeof answer.status === 'number' ? answer.status : 1;
    });
  },
);
req.on('error', (e) => {
  process.stderr.write(`tierform lab ${tool} shim: the lab does not answer on ${SOCKET} (${e.message})\n`);
  process.exit(1);
});
req.end(body);
