/**
 * ca/asn1: the owned DER/ASN.1 layer for hot paths (Buffer-based, no schema objects).
 *
 * Rules: other folders import this layer only through this file (CONTRIBUTING.md); the rules each
 * module enforces (X.690 DER, RFC 5280 names and times, RFC 7468 PEM) are listed in its header.
 */
export * from './der-writer.ts';
export * from './der-reader.ts';
export * from './oids.ts';
export * from './names.ts';
export * from './pem.ts';
