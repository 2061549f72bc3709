import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { projectRoot } from '../../src/paths.js';
import { waitFor } from '../support/loopback.js';
import { CONFIDENTIAL, RP_LOGOUT_REDIRECT, RP_REDIRECT } from './start-qrid.js';

export const COOKIE_KEY = 'test-cookie-key-0123456789abcdef-0123456789';
/** Process tests' qrid serves /metrics behind this token. */
export const METRICS_TOKEN = 'test-metrics-token-0123456789';

/** A qrid config file for process tests: Redis store, the test RP, loopback only. */
export function writeConfig(dir: string, options: { issuer: string; redisUrl: string; prefix: string }): string {
  const file = join(dir, `qrid-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    [
      `issuer: ${options.issuer}`,
      'host: 127.0.0.1',
      `cookie_keys: ["${COOKIE_KEY}"]`,
      'log_level: warn',
      `metrics: { token: ${METRICS_TOKEN} }`,
      'store:',
      '  kind: redis',
      `  redis_url: ${options.redisUrl}`,
      `  key_prefix: "${options.prefix}"`,
      'clients:',
      `  - client_id: ${CONFIDENTIAL.id}`,
      `    client_secret: ${CONFIDENTIAL.secret}`,
      '    client_name: Test RP',
      `    redirect_uris: [${RP_REDIRECT}]`,
      `    post_logout_redirect_uris: [${RP_LOGOUT_REDIRECT}]`,
      '',
    ].join('\n'),
  );
  return file;
}

export interface QridProcess {
  port: number;
  child: ChildProcess;
  output(): string;
  /** Sends the signal and resolves with the exit code (or signal name). */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
  alive(): boolean;
}

/** The built qrid (`node dist/src/main.js`), as `npm start` runs it, on a given port. */
export async function startQridProcess(port: number, configFile: string, env: Record<string, string> = {}): Promise<QridProcess> {
  const child = spawn(process.execPath, [join(projectRoot, 'dist/src/main.js')], {
    env: { PATH: process.env.PATH ?? '', QRID_CONFIG: configFile, PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  let done = false;
  void exited.then(() => (done = true));
  await waitFor(`qrid on port ${port}`, async () => {
    if (done) throw new Error(`qrid exited:\n${output}`);
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    return response.ok ? true : undefined;
  });
  return {
    port,
    child,
    output: () => output,
    alive: () => !done,
    async stop(signal = 'SIGTERM') {
      if (!done) child.kill(signal);
      return exited;
    },
  };
}
