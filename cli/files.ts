/** Small file helpers for CLI commands: read DER or PEM, read a passphrase file, write outputs. */
import { readFileSync, writeFileSync } from 'node:fs';
import { AppError } from '../platform/index.ts';
import { fromPem, toPem } from '../ca/asn1/index.ts';

export function readDerOrPem(file: string, label?: string): Buffer {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new AppError('ERR_BAD_INPUT', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code}`);
  }
  const text = buf.toString('latin1');
  return text.includes('-----BEGIN') ? fromPem(text, label) : buf;
}

export function readPemChain(file: string): Buffer[] {
  const text = readFileSync(file, 'utf8');
  return fromPem(text, 'CERTIFICATE', { all: true }).map((b) => b.der);
}

export function readPassphrase(file: string | undefined, what: string): string {
  if (!file) throw new AppError('ERR_BAD_INPUT', `${what}: --passphrase-file is required`);
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    throw new AppError('ERR_BAD_INPUT', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code}`);
  }
}

export function writePem(file: string, label: string, ders: Buffer[], mode = 0o644): void {
  writeFileSync(file, ders.map((d) => toPem(label, d)).join(''), { mode });
}

export const pem = (label: string, der: Buffer) => toPem(label, der);
