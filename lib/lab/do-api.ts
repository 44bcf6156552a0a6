/**
 * A stand-in for the DigitalOcean API inside the lab, answering only what failover needs:
 *
 *   POST /v2/reserved_ips/<ip>/actions  {"type":"assign","droplet_id":N}  → moves the address, 201
 *   GET  /v2/reserved_ips/<ip>                                          → its current assignment, 200
 *
 * (`/v2/floating_ips/...`, the older name, answers the same.) Requests need `Authorization: Bearer <token>`
 * (401 otherwise); errors are DigitalOcean-shaped (`{"id": "not_found", "message": ...}`). Every call is
 * logged in `calls`, with the droplet that made it.
 *
 * Where it listens: the HTTP server runs in this (the lab's) process, on a Unix socket in the lab directory,
 * because the move it performs is `LabNetwork.moveAddress`. A small forwarder (`http-forward.js`) in the
 * internet namespace listens on the router's address, port 443 by default — the port droplets need
 * outbound to reach api.digitalocean.com, so firewalls are judged the same — in plain HTTP. Droplets use it
 * through `TIERFORM_DO_API=http://203.0.113.1:443` (the failover script's override of the API base URL).
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import * as ipaddr from 'ipaddr.js';
import { LabNetwork, LabProcess } from './netns';
import { labScript } from './host-tools';

export interface DoApiOptions {
  /** The token requests must carry. @default 64 random hex characters */
  readonly token?: string;
  /** More tokens accepted as well (a booted plan's token variables, generated per boot). @default [] */
  readonly acceptTokens?: readonly string[];
  /** The port droplets connect to on the router's address. @default 443 */
  readonly port?: number;
  /**
   * Delay between accepting an assign (201, status "in-progress") and moving the address, as DigitalOcean
   * takes a moment (see docs/decisions.md, "Failover timing"). 0 moves the address before answering (status
   * "completed"). Can be changed while the stand-in runs (`assignDelayMs`). @default 0
   */
  readonly assignDelayMs?: number;
}

/** One request the stand-in answered. */
export interface DoApiCall {
  readonly at: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** The caller's address as the forwarder saw it, and the lab host having it ('client' or a droplet name). */
  readonly remoteAddress?: string;
  readonly caller?: string;
  readonly requestBody?: unknown;
  readonly responseBody: unknown;
}

const RESERVED_IP_PATH = /^\/v2\/(reserved_ips|floating_ips)\/([0-9.]+)(\/actions)?\/?$/;

export class DoApiStandIn {
  /** Starts the server and its forwarder in the internet namespace; resolves once both listen. */
  public static async start(lab: LabNetwork, options: DoApiOptions = {}): Promise<DoApiStandIn> {
    const api = new DoApiStandIn(lab, options);
    await api.listen();
    return api;
  }

  public readonly token: string;
  /** The base URL droplets use (the value of TIERFORM_DO_API). */
  public readonly url: string;
  /** Every call so far, oldest first. */
  public readonly calls: DoApiCall[] = [];
  /**
   * Milliseconds between answering an assign call and moving the address (what DigitalOcean's edge takes to act
   * on it); settable at any time, e.g. by a benchmark between scenarios.
   */
  public assignDelayMs: number;
  private readonly socketPath: string;
  private readonly server: http.Server;
  private readonly port: number;
  private forwarder?: LabProcess;
  private nextActionId = 1;
  private closed = false;

  private constructor(
    private readonly lab: LabNetwork,
    private readonly options: DoApiOptions,
  ) {
    this.token = options.token ?? randomBytes(32).toString('hex');
    this.port = options.port ?? 443;
    this.assignDelayMs = options.assignDelayMs ?? 0;
    if (!(Number.isFinite(this.assignDelayMs) && this.assignDelayMs >= 0))
      throw new Error(`assignDelayMs must be a number of milliseconds ≥ 0, got ${options.assignDelayMs}`);
    this.url = `http://${lab.internet.routerIp}:${this.port}`;
    this.socketPath = path.join(lab.dir, 'do-api.sock');
    if (Buffer.byteLength(this.socketPath) > 100) {
      throw new Error(`the API socket path ${this.socketPath} is too long for a Unix socket: use a shorter lab root`);
    }
    this.server = http.createServer((req, res) => this.handle(req, res));
    lab.addCleanup(() => this.closeServer());
  }

  /** Environment for a droplet process that calls the API. */
  public env(): Record<string, string> {
    return { TIERFORM_DO_API: this.url, DIGITALOCEAN_TOKEN: this.token };
  }

  /** Stops the forwarder and the server (teardown would too). */
  public async close(): Promise<void> {
    await this.forwarder?.stop();
    this.closeServer();
  }

  private closeServer(): void {
    if (this.closed) return;
    this.closed = true;
    this.server.close();
    this.server.closeAllConnections();
    fs.rmSync(this.socketPath, { force: true });
  }

  private async listen(): Promise<void> {
    fs.rmSync(this.socketPath, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.socketPath, () => resolve());
    });
    fs.chmodSync(this.socketPath, 0o600);
    this.forwarder = this.lab.spawn(
      'internet',
      [process.execPath, labScript('http-forward.js'), this.lab.internet.routerIp, String(this.port), this.socketPath],
      {
        name: 'do-api-forward',
      },
    );
    await this.forwarder.waitForOutput('ready', 10_000);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 65_536) chunks.push(c);
    });
    req.on('end', () => {
      const remoteAddress = headerValue(req.headers['x-lab-remote-address']);
      const text = Buffer.concat(chunks).toString('utf8');
      let requestBody: unknown;
      const reply = (status: number, body: unknown) => {
        const json = JSON.stringify(body);
        res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(json) });
        res.end(json);
        this.calls.push({
          at: new Date().toISOString(),
          method: req.method ?? '',
          path: req.url ?? '',
          status,
          remoteAddress,
          caller: remoteAddress === undefined ? undefined : this.hostOf(remoteAddress),
          requestBody,
          responseBody: body,
        });
      };
      if (text !== '') {
        try {
          requestBody = JSON.parse(text);
        } catch {
          requestBody = text;
          if (size > 65_536) return reply(413, error('request_too_large', 'The request body is too large.'));
          return reply(400, error('bad_request', 'The request body is not valid JSON.'));
        }
      }
      const auth = req.headers.authorization ?? '';
      if (![this.token, ...(this.options.acceptTokens ?? [])].some((t) => auth === `Bearer ${t}`)) {
        return reply(401, error('unauthorized', 'Unable to authenticate you'));
      }
      const m = RESERVED_IP_PATH.exec(new URL(req.url ?? '/', 'http://api').pathname);
      if (!m) return reply(404, error('not_found', `The lab's API stand-in answers only reserved IP assignment; not ${req.method} ${req.url}.`));
      const [, kind, ip, actions] = m;
      if (!this.lab.reservedIps().has(ip)) return reply(404, error('not_found', 'The resource you were accessing could not be found.'));
      if (actions && req.method === 'POST') return reply(...this.assign(ip, requestBody));
      if (!actions && req.method === 'GET') return reply(200, { [kind === 'reserved_ips' ? 'reserved_ip' : 'floating_ip']: this.describe(ip) });
      return reply(405, error('method_not_allowed', `${req.method} is not supported here by the lab's API stand-in.`));
    });
  }

  private assign(ip: string, body: unknown): [number, unknown] {
    const b = (body ?? {}) as { type?: unknown; droplet_id?: unknown };
    if (b.type !== 'assign') {
      return [422, error('unprocessable_entity', `the lab's API stand-in supports only {"type":"assign"}, got type ${JSON.stringify(b.type)}`)];
    }
    const dropletId = typeof b.droplet_id === 'number' || typeof b.droplet_id === 'string' ? String(b.droplet_id) : undefined;
    const droplet = this.lab.droplets.find((d) => d.id === dropletId);
    if (!droplet) return [422, error('unprocessable_entity', `droplet_id ${JSON.stringify(b.droplet_id)} is not a droplet of this account`)];
    const holds = [...this.lab.reservedIps()].find(([other, holder]) => holder === droplet.name && other !== ip);
    if (holds) return [422, error('unprocessable_entity', `Droplet already has a reserved IP (${holds[0]})`)];
    const delay = this.assignDelayMs;
    const started = new Date().toISOString();
    if (delay <= 0) {
      this.lab.moveAddress(ip, droplet.name);
    } else {
      setTimeout(() => {
        if (!this.lab.isTornDown) this.lab.moveAddress(ip, droplet.name);
      }, delay).unref();
    }
    return [
      201,
      {
        action: {
          id: this.nextActionId++,
          status: delay <= 0 ? 'completed' : 'in-progress',
          type: 'assign_ip',
          started_at: started,
          completed_at: delay <= 0 ? new Date().toISOString() : null,
          resource_id: ipToInt(ip),
          resource_type: 'reserved_ip',
          region: region(droplet.region),
          region_slug: droplet.region,
        },
      },
    ];
  }

  private describe(ip: string): Record<string, unknown> {
    const holder = this.lab.holderOf(ip);
    const slug = holder?.region ?? this.lab.droplets[0]?.region ?? 'lab1';
    return {
      ip,
      region: region(slug),
      droplet: holder === undefined ? null : { id: Number(holder.id), name: holder.name, status: 'active', tags: holder.tags },
      locked: false,
      project_id: '00000000-0000-4000-8000-000000000000',
    };
  }

  private hostOf(address: string): string | undefined {
    const a = address.replace(/^::ffff:/, '');
    if (a === this.lab.client.ip) return 'client';
    return this.lab.droplets.find((d) => d.publicIp === a || d.privateIp === a || d.anchorIp === a)?.name;
  }
}

function error(id: string, message: string): { id: string; message: string } {
  return { id, message };
}

function region(slug: string): Record<string, unknown> {
  return { name: `tierform lab (${slug})`, slug, features: [], available: true, sizes: [] };
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function ipToInt(ip: string): number {
  return ipaddr.IPv4.parse(ip).octets.reduce((n, o) => n * 256 + o, 0);
}
