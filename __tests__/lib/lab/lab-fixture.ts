/**
 * Shared pieces of the lab's live tests. They need root and real tools: a missing tool FAILS the suite with
 * the Debian package to install (no skipping).
 */
import { LabNetwork, LabProcess } from '../../../lib/lab/netns';
import { requireTool } from '../../helpers/tools';

/** Throws unless the live lab tests can run here. */
export function requireLab(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('the lab tests need root (network namespaces): run them as root, as CI does');
  }
  requireTool('ip', 'iproute2');
  requireTool('nft', 'nftables');
  requireTool('unshare', 'util-linux');
  requireTool('curl', 'curl');
  requireTool('python3', 'python3');
}

/** An HTTP server answering JSON {host, remote, local, port} on every port given (argv), printing "ready". */
const HTTP_SERVER = `
const http = require('http');
const os = require('os');
const [host, ...ports] = process.argv.slice(1);
let open = 0;
for (const port of ports) {
  http.createServer((req, res) => {
    res.end(JSON.stringify({ host: os.hostname(), remote: req.socket.remoteAddress, local: req.socket.localAddress, port: Number(port) }));
  }).listen(Number(port), host, () => { if (++open === ports.length) console.log('ready'); });
}
`;

/** Starts HTTP listeners in `node` on `ports` (bound to `host`), waiting until they listen. */
export async function startHttp(lab: LabNetwork, node: string, ports: number[], host = '0.0.0.0'): Promise<LabProcess> {
  const p = lab.spawn(node, [process.execPath, '-e', HTTP_SERVER, host, ...ports.map(String)], { name: `http-${ports.join('-')}` });
  await p.waitForOutput('ready');
  return p;
}

export interface Answer {
  host: string;
  remote: string;
  local: string;
  port: number;
}

/** What happened to one HTTP request: an answer, a refusal (RST/unreachable) or a timeout (dropped). */
export type Outcome = { kind: 'answer'; answer: Answer } | { kind: 'refused' } | { kind: 'timeout' } | { kind: 'error'; detail: string };

/**
 * GET `url` from inside `node` with a 1 s connect timeout, from the JSON server of startHttp: an answer, or how it
 * failed. (Same argument order as stage-fixture's `httpAnswer`: where from, then what.)
 */
export async function httpOutcome(lab: LabNetwork, node: string, url: string): Promise<Outcome> {
  const r = await lab.exec(node, ['curl', '-sS', '--connect-timeout', '1', '--max-time', '3', url], { timeoutMs: 10_000 });
  if (r.status === 0) return { kind: 'answer', answer: JSON.parse(r.stdout) as Answer };
  if (r.status === 7) return { kind: 'refused' };
  if (r.status === 28) return { kind: 'timeout' };
  return { kind: 'error', detail: `curl ${r.status}: ${r.stderr}` };
}

/** The host that answered, or the outcome's kind. */
export async function whoAnswers(lab: LabNetwork, node: string, url: string): Promise<string> {
  const o = await httpOutcome(lab, node, url);
  return o.kind === 'answer' ? o.answer.host : o.kind;
}

const RECEIVE_VRRP = `
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.settimeout(0.1)
print('ready', flush=True)
deadline = time.time() + float(sys.argv[1])
n = 0
while time.time() < deadline:
    try:
        s.recv(2048)
        n += 1
    except socket.timeout:
        pass
print('received', n, flush=True)
`;

const SEND_VRRP = `
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
sent = 0
for i in range(3):
    try:
        s.sendto(bytes([0x21, 1, 100, 1, 0, 1, 0, 0]) + bytes(12), (sys.argv[1], 0))
        sent += 1
    except OSError as e:
        print('error', e.errno, flush=True)
    time.sleep(0.1)
print('sent', sent, flush=True)
`;

/** Sends 3 VRRP-like packets (IP protocol 112) from `from` to `address`; returns how many `to` received. */
export async function vrrpReceived(lab: LabNetwork, from: string, to: string, address: string): Promise<number> {
  const receiver = lab.spawn(to, ['python3', '-c', RECEIVE_VRRP, '1.0'], { name: 'vrrp-receiver' });
  await receiver.waitForOutput('ready');
  await lab.exec(from, ['python3', '-c', SEND_VRRP, address], { timeoutMs: 10_000 });
  const out = await receiver.waitForOutput(/received [0-9]+/, 10_000);
  return Number(/received ([0-9]+)/.exec(out)![1]);
}
