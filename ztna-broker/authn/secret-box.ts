/**
 * Encryption of second-factor secrets at rest (TOTP shared secrets).
 *
 * Rules enforced:
 * - AES-256-GCM with a fresh 96-bit IV per seal (NIST SP 800-38D §8.2.2); the key is derived
 *   from the configured secret with HKDF-SHA256 (RFC 5869) and a fixed purpose label, so the
 *   configured value is never used directly as a key.
 * - The owner (user sub) is bound as additional authenticated data: a row copied to another
 *   user does not decrypt.
 * - Format `v1.<base64url(iv | ciphertext | tag)>`; anything else, or a failed tag, is
 *   ERR_MFA_INVALID (never a partially decrypted value).
 */
import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { AppError } from '../../platform/errors.ts';

const IV = 12;
const TAG = 16;

export class SecretBox {
  private readonly key: KeyObject;

  constructor(secret: string, purpose = 'gatehouse-broker/totp-secret/v1') {
    if (typeof secret !== 'string' || secret.length < 16) {
      throw new AppError('ERR_CONFIG', 'broker.mfa.totp.encryptionKey must be at least 16 characters');
    }
    const raw = hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.from('gatehouse'), Buffer.from(purpose), 32);
    this.key = createSecretKey(Buffer.from(raw));
  }

  seal(plain: string, owner: string): string {
    const iv = randomBytes(IV);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    c.setAAD(Buffer.from(owner, 'utf8'));
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return `v1.${Buffer.concat([iv, body, c.getAuthTag()]).toString('base64url')}`;
  }

  open(sealed: string, owner: string): string {
    if (typeof sealed !== 'string' || !sealed.startsWith('v1.')) throw new AppError('ERR_MFA_INVALID', 'stored secret unreadable');
    const buf = Buffer.from(sealed.slice(3), 'base64url');
    if (buf.length < IV + TAG + 1) throw new AppError('ERR_MFA_INVALID', 'stored secret unreadable');
    try {
      const d = createDecipheriv('aes-256-gcm', this.key, buf.subarray(0, IV));
      d.setAAD(Buffer.from(owner, 'utf8'));
      d.setAuthTag(buf.subarray(buf.length - TAG));
      return Buffer.concat([d.update(buf.subarray(IV, buf.length - TAG)), d.final()]).toString('utf8');
    } catch (e) {
      throw new AppError('ERR_MFA_INVALID', 'stored secret unreadable', { cause: e });
    }
  }
}
