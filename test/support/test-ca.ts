import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throw-away certificate authority and a certificate for 127.0.0.1 it signed, made with
 * openssl: for loopback HTTPS peers (a push service, a CIBA client's endpoint) that a qrid
 * process trusts through NODE_EXTRA_CA_CERTS, as an operator would add a private CA.
 */
export interface TestCa {
  caFile: string;
  cert: Buffer;
  key: Buffer;
}

export function makeTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'qrid-ca-'));
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=qrid test CA', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem')]);
  run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', join(dir, 'leaf.key'), '-out', join(dir, 'leaf.csr')]);
  writeFileSync(join(dir, 'leaf.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  run(['x509', '-req', '-in', join(dir, 'leaf.csr'), '-CA', join(dir, 'ca.pem'), '-CAkey', join(dir, 'ca.key'), '-CAcreateserial', '-days', '2', '-extfile', join(dir, 'leaf.ext'), '-out', join(dir, 'leaf.pem')]);
  return { caFile: join(dir, 'ca.pem'), cert: readFileSync(join(dir, 'leaf.pem')), key: readFileSync(join(dir, 'leaf.key')) };
}
