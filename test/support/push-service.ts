import { createECDH, createDecipheriv, createPublicKey, type ECDH, hkdfSync, randomBytes, verify } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * A Web Push service on loopback that speaks the real protocols: it takes RFC 8030 pushes,
 * checks their RFC 8292 VAPID authorization (signature, audience, expiry, contact) and decrypts
 * the RFC 8291 aes128gcm payload with the subscription's own keys, as the phone's browser
 * would. A subscription can be declared gone (410).
 */
export interface ReceivedPush {
  id: string;
  ttl: string;
  urgency: string;
  claims: { aud: string; exp: number; sub: string };
  vapidKey: string;
  payload: Record<string, unknown>;
}

export class PushService {
  readonly received: ReceivedPush[] = [];
  readonly refused: string[] = [];
  #subscriptions = new Map<string, { ecdh: ECDH; auth: Buffer; gone: boolean }>();
  #server: Server;
  origin = '';

  constructor(tls: { cert: Buffer; key: Buffer }) {
    this.#server = createServer(tls, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const fail = (status: number, why: string) => {
          this.refused.push(`${status} ${why}`);
          res.writeHead(status).end(why);
        };
        const id = /^\/push\/([\w-]+)$/.exec(req.url ?? '')?.[1];
        const sub = id ? this.#subscriptions.get(id) : undefined;
        if (!id || !sub) return fail(404, 'no such subscription');
        if (sub.gone) return fail(410, 'gone');
        if (!/^\d+$/.test(String(req.headers.ttl ?? ''))) return fail(400, 'TTL header required');
        let vapid: { claims: ReceivedPush['claims']; key: string };
        try {
          vapid = verifyVapid(String(req.headers.authorization ?? ''), this.origin);
        } catch (error) {
          return fail(401, (error as Error).message);
        }
        if (req.headers['content-encoding'] !== 'aes128gcm') return fail(415, 'aes128gcm only');
        let payload: Record<string, unknown>;
        try {
          payload = JSON.parse(decrypt(Buffer.concat(chunks), sub.ecdh, sub.auth).toString('utf8')) as Record<string, unknown>;
        } catch (error) {
          return fail(400, `cannot decrypt: ${(error as Error).message}`);
        }
        this.received.push({ id, ttl: String(req.headers.ttl), urgency: String(req.headers.urgency ?? ''), claims: vapid.claims, vapidKey: vapid.key, payload });
        res.writeHead(201, { location: `${this.origin}/message/${randomBytes(6).toString('hex')}` }).end();
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.origin = `https://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** What a browser's pushManager.subscribe() would return. */
  subscribe(): { id: string; subscription: { endpoint: string; keys: { p256dh: string; auth: string } } } {
    const id = randomBytes(9).toString('base64url');
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const auth = randomBytes(16);
    this.#subscriptions.set(id, { ecdh, auth, gone: false });
    return { id, subscription: { endpoint: `${this.origin}/push/${id}`, keys: { p256dh: ecdh.getPublicKey('base64url'), auth: auth.toString('base64url') } } };
  }

  gone(id: string): void {
    const sub = this.#subscriptions.get(id);
    if (sub) sub.gone = true;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** RFC 8292: `Authorization: vapid t=<JWT>, k=<public key>`. */
function verifyVapid(authorization: string, audience: string): { claims: ReceivedPush['claims']; key: string } {
  const match = /^vapid\s+(.*)$/i.exec(authorization);
  if (!match?.[1]) throw new Error('no vapid authorization');
  const params = Object.fromEntries(match[1].split(',').map((part) => [part.slice(0, part.indexOf('=')).trim(), part.slice(part.indexOf('=') + 1).trim()]));
  const raw = Buffer.from(String(params.k ?? ''), 'base64url');
  if (raw.length !== 65 || raw[0] !== 4) throw new Error('k is not a P-256 public key');
  const key = createPublicKey({ format: 'jwk', key: { kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33).toString('base64url') } });
  const [header, body, signature] = String(params.t ?? '').split('.');
  if (!header || !body || !signature) throw new Error('malformed JWT');
  if ((JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg?: string }).alg !== 'ES256') throw new Error('alg must be ES256');
  if (!verify('sha256', Buffer.from(`${header}.${body}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))) throw new Error('bad signature');
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as ReceivedPush['claims'];
  const now = Date.now() / 1000;
  if (claims.aud !== audience) throw new Error(`aud ${claims.aud} is not ${audience}`);
  if (!(claims.exp > now && claims.exp <= now + 24 * 3600)) throw new Error('exp not within 24 hours');
  if (!/^(mailto:|https:)/.test(String(claims.sub))) throw new Error('sub must be mailto: or https:');
  return { claims, key: String(params.k) };
}

/** RFC 8291 (aes128gcm, RFC 8188): the browser's side of Web Push message encryption. */
function decrypt(body: Buffer, ecdh: ECDH, auth: Buffer): Buffer {
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const idLength = body[20] as number;
  const senderKey = body.subarray(21, 21 + idLength);
  if (idLength !== 65) throw new Error('bad header');
  const secret = ecdh.computeSecret(senderKey);
  const ikm = Buffer.from(hkdfSync('sha256', secret, auth, Buffer.concat([Buffer.from('WebPush: info\0'), ecdh.getPublicKey(), senderKey]), 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const out: Buffer[] = [];
  let data = body.subarray(21 + idLength);
  for (let seq = 0; data.length; seq += 1) {
    const record = data.subarray(0, recordSize);
    data = data.subarray(recordSize);
    const iv = Buffer.from(nonce);
    iv.writeUInt32BE((iv.readUInt32BE(8) ^ seq) >>> 0, 8);
    const decipher = createDecipheriv('aes-128-gcm', cek, iv);
    decipher.setAuthTag(record.subarray(record.length - 16));
    const plain = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
    let end = plain.length - 1;
    while (end >= 0 && plain[end] === 0) end -= 1;
    out.push(plain.subarray(0, end));
  }
  return Buffer.concat(out);
}
