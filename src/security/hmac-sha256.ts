import { hash } from 'node:crypto';

const BLOCK = 64;
const DIGEST = 32;

/**
 * HMAC-SHA256 (RFC 2104) under one fixed key, computed as two one-shot SHA-256 hashes over the
 * key's padded blocks, which are made once. Cookie signatures and CSRF tokens are a QR login's
 * most frequent MACs (about twenty per login): node's createHmac builds a stream-capable Hmac
 * object and an OpenSSL context per call, which under load cost several times the hashing
 * itself (docs/benchmarks.md, round 9). The output is byte for byte createHmac's
 * (hmac-sha256.test.ts checks keys and messages of every length class against it).
 */
export function hmacSha256(key: Buffer): (data: string) => string {
  const block = key.length > BLOCK ? hash('sha256', key, 'buffer') : key;
  const inner = Buffer.alloc(BLOCK, 0x36);
  const outer = Buffer.alloc(BLOCK + DIGEST, 0x5c);
  for (let i = 0; i < block.length; i += 1) {
    const byte = block[i] as number;
    inner[i] = 0x36 ^ byte;
    outer[i] = 0x5c ^ byte;
  }
  return (data) => {
    const message = Buffer.allocUnsafe(BLOCK + Buffer.byteLength(data));
    inner.copy(message, 0);
    message.write(data, BLOCK);
    // `outer` is reused: the inner digest is copied in and hashed before this function returns.
    hash('sha256', message, 'buffer').copy(outer, BLOCK);
    return hash('sha256', outer, 'base64url');
  };
}
