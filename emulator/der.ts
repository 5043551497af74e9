/**
 * The little DER (ITU-T X.690) the stand-in's Sigstore needs to issue X.509 certificates and
 * RFC 3161 timestamps with node:crypto's ECDSA keys (node-forge, which certs.ts uses for TLS,
 * issues RSA certificates only). Lengths are always minimal, so a parser that re-encodes what it
 * read, as @sigstore/core does before checking a signature, gets the same bytes back.
 */

export type Der = Buffer;

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** A TLV with `tag` (one byte) and `content`. */
export function tlv(tag: number, content: Buffer): Der {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content]);
}

export const sequence = (...items: Der[]): Der => tlv(0x30, Buffer.concat(items));

/** SET OF, its elements sorted by their encoding as DER requires. */
export const set = (...items: Der[]): Der =>
  tlv(0x31, Buffer.concat([...items].sort(Buffer.compare)));

/** `[n] EXPLICIT`: a constructed context-specific tag around one element. */
export const explicit = (n: number, inner: Der): Der => tlv(0xa0 | n, inner);

/** `[n] IMPLICIT` of a constructed type (SET OF, SEQUENCE): its content under another tag. */
export const implicitConstructed = (n: number, content: Buffer): Der => tlv(0xa0 | n, content);

/** `[n] IMPLICIT` of a primitive type (IA5String in a GeneralName). */
export const implicitPrimitive = (n: number, content: Buffer): Der => tlv(0x80 | n, content);

export const boolean = (v: boolean): Der => tlv(0x01, Buffer.from([v ? 0xff : 0x00]));

/** A non-negative INTEGER from a number or big-endian bytes (a leading 0 keeps it positive). */
export function integer(v: number | Buffer): Der {
  let bytes: Buffer;
  if (typeof v === 'number') {
    const hex = v.toString(16);
    bytes = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  } else {
    bytes = v.length === 0 ? Buffer.from([0]) : v;
  }
  let start = 0;
  // Minimal: no leading zero byte unless the next byte would read as negative.
  while (start < bytes.length - 1 && bytes[start] === 0 && bytes[start + 1]! < 0x80) start++;
  bytes = bytes.subarray(start);
  if (bytes[0]! >= 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(0x02, bytes);
}

export function oid(dotted: string): Der {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128))
      chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

export const utf8 = (s: string): Der => tlv(0x0c, Buffer.from(s, 'utf8'));
export const octets = (b: Buffer): Der => tlv(0x04, b);
/** A BIT STRING with no unused bits. */
export const bits = (b: Buffer): Der => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));
/** A named-bit BIT STRING (KeyUsage): `byte` holds bits 0..7 from its most significant bit. */
export function namedBits(byte: number): Der {
  let unused = 0;
  while (unused < 7 && !(byte & (1 << unused))) unused++;
  return tlv(0x03, Buffer.from([unused, byte]));
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** UTCTime (years 1950–2049, RFC 5280 §4.1.2.5.1) or GeneralizedTime after. */
export function time(d: Date): Der {
  const body = `${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  const year = d.getUTCFullYear();
  return year < 2050
    ? tlv(0x17, Buffer.from(`${pad(year % 100)}${body}`))
    : tlv(0x18, Buffer.from(`${year}${body}`));
}

/** GeneralizedTime, as RFC 3161's TSTInfo.genTime is. */
export function generalizedTime(d: Date): Der {
  const iso = d
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return tlv(0x18, Buffer.from(iso));
}

/** An X.501 Name of organization and common name, as Fulcio's and GitHub's CAs name theirs. */
export function name(attrs: { organization?: string; commonName?: string }): Der {
  const rdns: Der[] = [];
  if (attrs.organization) rdns.push(set(sequence(oid('2.5.4.10'), utf8(attrs.organization))));
  if (attrs.commonName) rdns.push(set(sequence(oid('2.5.4.3'), utf8(attrs.commonName))));
  return sequence(...rdns);
}

/** The content (not the tag and length) of a DER element. */
export function contentOf(der: Der): Buffer {
  const first = der[1]!;
  const offset = first < 0x80 ? 2 : 2 + (first & 0x7f);
  return der.subarray(offset);
}
