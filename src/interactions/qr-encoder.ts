/**
 * QR codes (ISO/IEC 18004) for the QR page: byte mode, error correction level M, mask 2,
 * versions 1–40. Everything that does not depend on the text (function patterns, the order
 * in which data modules are filled, the masked bit of each, the Reed–Solomon generators) is
 * built once per version and kept, so a code costs its error correction and one pass over its
 * modules. The general-purpose `qrcode` package spent most of its time redoing that work for
 * every code; its output for the same version, level and mask is the test oracle
 * (qr-encoder.test.ts). Any mask gives a valid code; scanners do not need the "best" one.
 */

/** Error-correction blocks per version (index 0 = version 1), level M. */
const BLOCKS = [
  1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49,
];
/** Error-correction codewords per block, level M. */
const EC_PER_BLOCK = [
  10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  28, 28,
];
/** Format information for level M (indicator 00) and mask 2, BCH-coded and XORed with 0x5412. */
const FORMAT_BITS = formatBits(0b00, 2);

export interface QrMatrix {
  version: number;
  size: number;
  /** Row-major, 1 = dark. */
  modules: Uint8Array;
}

interface Template {
  version: number;
  size: number;
  /** Function patterns and format/version information; data modules are 0 here. */
  base: Uint8Array;
  /** Indexes into `modules` of the data modules, in the order bits are placed. */
  order: Uint32Array;
  /** Mask 2 for each entry of `order`: 1 where the module's column is divisible by 3. */
  mask: Uint8Array;
  dataCodewords: number;
  /** Logarithms of the Reed–Solomon generator's coefficients (after the leading 1; none is 0). */
  generatorLog: Uint8Array;
}

const templates = new Map<number, Template>();

/** Encodes `data` in the smallest version that holds it. */
export function encodeQr(data: Uint8Array): QrMatrix {
  const version = versionFor(data.length);
  const t = template(version);
  const codewords = interleave(dataCodewords(data, version, t.dataCodewords), version, t.generatorLog);
  const modules = t.base.slice();
  const bits = codewords.length * 8;
  for (let i = 0; i < t.order.length; i += 1) {
    const bit = i < bits ? ((codewords[i >> 3] as number) >> (7 - (i & 7))) & 1 : 0;
    modules[t.order[i] as number] = bit ^ (t.mask[i] as number);
  }
  return { version, size: t.size, modules };
}

function versionFor(bytes: number): number {
  for (let version = 1; version <= 40; version += 1) {
    const capacityBits = template(version).dataCodewords * 8;
    if (4 + countBits(version) + bytes * 8 <= capacityBits) return version;
  }
  throw new RangeError(`a QR code holds at most 2331 bytes at level M; got ${bytes}`);
}

const countBits = (version: number) => (version < 10 ? 8 : 16);

/** Mode, count, bytes, terminator and padding: the data codewords before error correction. */
function dataCodewords(data: Uint8Array, version: number, capacity: number): Uint8Array {
  const out = new Uint8Array(capacity);
  // Mode 0100 and the count take 12 or 20 bits, so every byte after them straddles two codewords.
  const header = countBits(version) === 8 ? (0b0100 << 8) | data.length : (0b0100 << 16) | data.length;
  let i = 0;
  if (countBits(version) === 16) out[i++] = header >>> 12;
  out[i++] = (header >>> 4) & 0xff;
  let carry = (header & 0x0f) << 4;
  for (const byte of data) {
    out[i++] = carry | (byte >>> 4);
    carry = (byte & 0x0f) << 4;
  }
  // The last half-codeword, then the terminator's zero bits (at most 4, they fill the rest of it).
  if (i < capacity) out[i++] = carry;
  for (let pad = 0; i < capacity; i += 1, pad ^= 1) out[i] = pad ? 0x11 : 0xec;
  return out;
}

/** Splits into blocks, appends each block's error correction, interleaves. */
function interleave(data: Uint8Array, version: number, generatorLog: Uint8Array): Uint8Array {
  const blocks = BLOCKS[version - 1] as number;
  const ecLength = generatorLog.length;
  const shortLength = Math.floor(data.length / blocks);
  const longBlocks = data.length % blocks;
  const out = new Uint8Array(data.length + blocks * ecLength);
  const ecs: Uint8Array[] = [];
  let offset = 0;
  for (let b = 0; b < blocks; b += 1) {
    const length = shortLength + (b >= blocks - longBlocks ? 1 : 0);
    const block = data.subarray(offset, offset + length);
    offset += length;
    ecs.push(reedSolomon(block, generatorLog));
    for (let i = 0; i < length; i += 1) out[i < shortLength ? i * blocks + b : shortLength * blocks + (b - (blocks - longBlocks))] = block[i] as number;
  }
  for (let i = 0; i < ecLength; i += 1) for (let b = 0; b < blocks; b += 1) out[data.length + i * blocks + b] = (ecs[b] as Uint8Array)[i] as number;
  return out;
}

const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
for (let i = 0, x = 1; i < 255; i += 1) {
  EXP[i] = x;
  LOG[x] = i;
  x = (x << 1) ^ (x & 0x80 ? 0x11d : 0);
}
for (let i = 255; i < 512; i += 1) EXP[i] = EXP[i - 255] as number;

const mul = (a: number, b: number) => (a === 0 || b === 0 ? 0 : (EXP[(LOG[a] as number) + (LOG[b] as number)] as number));

/** The generator polynomial of degree `n` (coefficients after the leading 1). */
function generatorPolynomial(n: number): Uint8Array {
  let poly = new Uint8Array([1]);
  for (let i = 0; i < n; i += 1) {
    const next = new Uint8Array(poly.length + 1);
    for (let j = 0; j < poly.length; j += 1) {
      next[j] = (next[j] as number) ^ (poly[j] as number);
      next[j + 1] = (next[j + 1] as number) ^ mul(poly[j] as number, EXP[i] as number);
    }
    poly = next;
  }
  return poly.subarray(1);
}

/** The remainder of block·x^n divided by the generator, given as the logarithms of its coefficients. */
function reedSolomon(block: Uint8Array, generatorLog: Uint8Array): Uint8Array {
  const n = generatorLog.length;
  const remainder = new Uint8Array(n);
  for (const byte of block) {
    const factor = byte ^ (remainder[0] as number);
    remainder.copyWithin(0, 1);
    remainder[n - 1] = 0;
    if (factor === 0) continue;
    const factorLog = LOG[factor] as number;
    for (let i = 0; i < n; i += 1) remainder[i] = (remainder[i] as number) ^ (EXP[(generatorLog[i] as number) + factorLog] as number);
  }
  return remainder;
}

function template(version: number): Template {
  const cached = templates.get(version);
  if (cached) return cached;
  const size = 17 + 4 * version;
  const base = new Uint8Array(size * size);
  const reserved = new Uint8Array(size * size);
  const set = (row: number, col: number, dark: boolean) => {
    base[row * size + col] = dark ? 1 : 0;
    reserved[row * size + col] = 1;
  };
  // Finder patterns with their separators.
  for (const [top, left] of [
    [0, 0],
    [0, size - 7],
    [size - 7, 0],
  ] as const) {
    for (let r = -1; r <= 7; r += 1) {
      for (let c = -1; c <= 7; c += 1) {
        const row = top + r;
        const col = left + c;
        if (row < 0 || row >= size || col < 0 || col >= size) continue;
        const ring = Math.max(Math.abs(r - 3), Math.abs(c - 3));
        set(row, col, ring !== 2 && ring !== 4);
      }
    }
  }
  for (let i = 8; i < size - 8; i += 1) {
    set(6, i, i % 2 === 0);
    set(i, 6, i % 2 === 0);
  }
  const centres = alignmentCentres(version);
  const last = centres.length - 1;
  for (const [i, row] of centres.entries()) {
    for (const [j, col] of centres.entries()) {
      if ((i === 0 && (j === 0 || j === last)) || (i === last && j === 0)) continue; // the finder patterns' corners
      for (let r = -2; r <= 2; r += 1) for (let c = -2; c <= 2; c += 1) set(row + r, col + c, Math.max(Math.abs(r), Math.abs(c)) !== 1);
    }
  }
  for (let i = 0; i < 15; i += 1) {
    const dark = ((FORMAT_BITS >> i) & 1) === 1;
    set(i < 6 ? i : i < 8 ? i + 1 : size - 15 + i, 8, dark);
    set(8, i < 8 ? size - i - 1 : i < 9 ? 15 - i : 14 - i, dark);
  }
  set(size - 8, 8, true);
  if (version >= 7) {
    const bits = versionBits(version);
    for (let i = 0; i < 18; i += 1) {
      const dark = ((bits >> i) & 1) === 1;
      set(Math.floor(i / 3), size - 11 + (i % 3), dark);
      set(size - 11 + (i % 3), Math.floor(i / 3), dark);
    }
  }
  // Data modules: two-column strips from the right, upwards then downwards, skipping column 6.
  const order: number[] = [];
  const mask: number[] = [];
  let upward = true;
  for (let right = size - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5;
    for (let step = 0; step < size; step += 1) {
      const row = upward ? size - 1 - step : step;
      for (const col of [right, right - 1]) {
        if (reserved[row * size + col]) continue;
        order.push(row * size + col);
        mask.push(col % 3 === 0 ? 1 : 0);
      }
    }
    upward = !upward;
  }
  const totalCodewords = Math.floor(order.length / 8);
  const ecLength = EC_PER_BLOCK[version - 1] as number;
  const built: Template = {
    version,
    size,
    base,
    order: Uint32Array.from(order),
    mask: Uint8Array.from(mask),
    dataCodewords: totalCodewords - ecLength * (BLOCKS[version - 1] as number),
    generatorLog: generatorPolynomial(ecLength).map((c) => LOG[c] as number),
  };
  templates.set(version, built);
  return built;
}

/** Row and column of alignment pattern centres (none for version 1). */
function alignmentCentres(version: number): number[] {
  if (version === 1) return [];
  const size = 17 + 4 * version;
  const count = Math.floor(version / 7) + 2;
  const step = version === 32 ? 26 : Math.ceil((size - 13) / (2 * count - 2)) * 2;
  const centres = [6];
  for (let i = count - 2; i >= 0; i -= 1) centres.splice(1, 0, size - 7 - i * step);
  return centres.sort((a, b) => a - b);
}

/** BCH(15,5) of level and mask, XORed with the standard's mask. */
function formatBits(level: number, maskPattern: number): number {
  const data = (level << 3) | maskPattern;
  let rem = data << 10;
  for (let i = 14; i >= 10; i -= 1) if ((rem >> i) & 1) rem ^= 0x537 << (i - 10);
  return ((data << 10) | rem) ^ 0x5412;
}

/** BCH(18,6) of the version number. */
function versionBits(version: number): number {
  let rem = version << 12;
  for (let i = 17; i >= 12; i -= 1) if ((rem >> i) & 1) rem ^= 0x1f25 << (i - 12);
  return (version << 12) | rem;
}
