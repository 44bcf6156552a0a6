/**
 * The control socket of a booted lab: how `npm run lab -- apply` (another process) asks the lab's owner process —
 * the one holding its droplets' service managers and processes — to apply a plan.
 *
 * The owner listens on `<lab dir>/control.sock` (a Unix socket, mode 0600: root only) for
 * `POST /apply {"planFile": "<absolute path>", "refuseReplace": false}` and answers with newline-delimited JSON as
 * the apply goes: `{"log": "..."}` lines, then `{"ok": true, "summary": "..."}` or `{"ok": false, "error": "..."}`.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import type { LabBoot } from './boot';
import { LabError } from './lab-error';

export const CONTROL_SOCKET = 'control.sock';

export interface ApplyRequest {
  readonly planFile: string;
  readonly refuseReplace?: boolean;
}

type Line = { readonly log: string } | { readonly ok: true; readonly summary: string } | { readonly ok: false; readonly error: string };

/** Starts listening for the lab's control requests; closed at teardown. */
export async function startControl(boot: LabBoot): Promise<http.Server> {
  const socket = path.join(boot.lab.dir, CONTROL_SOCKET);
  fs.rmSync(socket, { force: true });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: ApplyRequest;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ApplyRequest;
        if (req.method !== 'POST' || req.url !== '/apply' || typeof body.planFile !== 'string') throw new Error('bad request');
      } catch {
        res.writeHead(400).end(`${JSON.stringify({ ok: false, error: 'expected POST /apply {"planFile": ...}' })}\n`);
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
      const send = (line: Line) => res.write(`${JSON.stringify(line)}\n`);
      boot
        .apply(body.planFile, {
          refuseReplace: body.refuseReplace === true,
          log: (l) => {
            send({ log: l });
            boot.settings?.log(l);
          },
        })
        .then(
          (result) => res.end(`${JSON.stringify({ ok: true, summary: result.summary })}\n`),
          (e: Error) => res.end(`${JSON.stringify({ ok: false, error: e.message })}\n`),
        );
    });
  });
  // An apply boots droplets: minutes, not the default request timeout.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve());
  });
  fs.chmodSync(socket, 0o600);
  boot.lab.addCleanup(() => {
    server.close();
    server.closeAllConnections();
  });
  return server;
}

/** Asks the owner of the lab in `labDir` to apply a plan; `onLog` gets its progress lines. Resolves with the summary. */
export function requestApply(labDir: string, request: ApplyRequest, onLog: (line: string) => void): Promise<string> {
  const socketPath = path.join(labDir, CONTROL_SOCKET);
  if (!fs.existsSync(socketPath))
    return Promise.reject(
      new LabError(`lab ${path.basename(labDir)} has no control socket (${socketPath}): it was not booted by this version of the lab`),
    );
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: '/apply', method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
      let buffer = '';
      let final: Line | undefined;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let i: number;
        while ((i = buffer.indexOf('\n')) >= 0) {
          const line = JSON.parse(buffer.slice(0, i)) as Line;
          buffer = buffer.slice(i + 1);
          if ('log' in line) onLog(line.log);
          else final = line;
        }
      });
      res.on('end', () => {
        if (final && 'ok' in final && final.ok) resolve(final.summary);
        else reject(new LabError(final && 'error' in final ? final.error : 'the lab closed the control connection without an answer'));
      });
      res.on('error', reject);
    });
    req.on('error', (e) => reject(new LabError(`cannot reach the lab's owner process over ${socketPath}: ${e.message}`)));
    req.end(JSON.stringify(request));
  });
}
