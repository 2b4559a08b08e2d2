/**
 * Admin API routes (JSON). Every route authenticates the admin first (auth.ts) and records the
 * admin as the actor of whatever it changes (the services audit it in the same transaction).
 *   /api/v1/whoami
 *   /api/v1/certificates            GET list, POST issue {csr, profile, subject, sans, validityDays, deviceId, serverAuth}
 *   /api/v1/certificates/<serial>   GET (?issuer=), POST .../revoke {reason, issuerId?, invalidityDate?}
 *   /api/v1/segments                GET; /api/v1/segments/<name> PUT {vlanId, description, flows}, DELETE
 *   /api/v1/devices                 GET (?state&segment&function), POST add; POST /api/v1/devices/import (CSV or JSON)
 *   /api/v1/devices/<id>            GET, PATCH; POST .../approve|release|quarantine {reason}|retire|token {ttlHours}
 *   /api/v1/enrollment-requests     GET (?status); POST .../<id>/approve {deviceId} | .../<id>/reject
 *   /api/v1/evidence                GET the auditor's report (enrollment/evidence)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError, Router, mediaType, readBody } from '../../platform/index.ts';
import { normalizeSerial, type CertificateAuthority, type RevocationReason } from '../../ca/index.ts';
import { fromPem, toPem } from '../../ca/asn1/index.ts';
import type { InventoryService } from '../inventory/service.ts';
import type { Onboarding } from '../onboarding/index.ts';
import { importDevices, rowsFromText } from '../inventory/import.ts';
import type { Db } from '../../platform/index.ts';
import { authenticateAdmin, type Admin } from './auth.ts';
import { buildEvidence } from '../evidence/report.ts';
import { jsonErrorMapper, readJson, send } from './http-json.ts';

export interface AdminApiDeps {
  db: Db;
  ca: CertificateAuthority;
  inventory: InventoryService;
  onboarding: Onboarding;
  admins: readonly string[];
  maxBodyBytes: number;
}

type H = (req: IncomingMessage, res: ServerResponse, admin: Admin, parts: string[], url: URL) => Promise<void>;

function csrFrom(v: unknown): Buffer {
  if (typeof v !== 'string' || !v) throw new AppError('ERR_BAD_INPUT', 'csr: PEM or base64 DER required');
  return v.includes('-----BEGIN') ? fromPem(v, 'CERTIFICATE REQUEST') : Buffer.from(v, 'base64');
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
/** JSON bodies are small; only /devices/import takes large ones. */
const JSON_LIMIT = 256 * 1024;
/** Profiles the API may issue: the CA's own roles (OCSP signing, SCEP RA) never leave the CLI. */
const API_PROFILES = new Set(['device-tls', 'radius-server', 'admin-client']);
const limitOf = (v: string | null) => {
  const n = Number.parseInt(v ?? '', 10);
  return Number.isSafeInteger(n) && n > 0 ? Math.min(n, 1000) : 100;
};

function decodeParts(rest: string): string[] {
  try {
    return rest.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
  } catch {
    throw new AppError('ERR_BAD_INPUT', 'malformed percent-encoding in the path');
  }
}

export function createAdminRouter(d: AdminApiDeps): Router {
  const r = new Router(jsonErrorMapper);
  const certs: H = async (req, res, admin, p, url) => {
    if (p.length === 0 && req.method === 'GET') {
      const q = url.searchParams;
      const rows = await d.ca.listCerts({ ...(q.get('deviceId') ? { deviceId: q.get('deviceId')! } : {}), ...(q.get('state') ? { state: q.get('state') as never } : {}), ...(q.get('profile') ? { profile: q.get('profile')! } : {}), limit: limitOf(q.get('limit')) });
      return send(res, 200, { certificates: rows.map(({ der: _d, ...rest }) => rest) });
    }
    if (p.length === 0 && req.method === 'POST') {
      const b = await readJson(req, JSON_LIMIT);
      const profile = str(b.profile) ?? 'device-tls';
      if (!API_PROFILES.has(profile)) throw new AppError('ERR_FORBIDDEN', `profile ${profile} is not issued through the API`);
      const emails = ((b.sans as { email?: unknown } | undefined)?.email ?? []) as unknown[];
      // an admin certificate is an identity: only for the configured administrators, never "any email"
      if (profile === 'admin-client' && (d.admins.length === 0 || !emails.every((e) => typeof e === 'string' && d.admins.map((a) => a.toLowerCase()).includes(e.toLowerCase()))))
        throw new AppError('ERR_FORBIDDEN', 'admin-client certificates are issued only for emails listed in api.admins');
      const c = await d.ca.issue(csrFrom(b.csr), {
        profile,
        subject: (b.subject as never) ?? {},
        sans: (b.sans as never) ?? {},
        ...(typeof b.validityDays === 'number' ? { validityDays: b.validityDays } : {}),
        ...(str(b.deviceId) ? { deviceId: str(b.deviceId)! } : {}),
        ...(b.serverAuth === true ? { serverAuth: true } : {}),
        actor: admin.actor,
      });
      return send(res, 201, { issuerId: c.issuerId, serial: c.serial, notBefore: c.notBefore, notAfter: c.notAfter, certificate: toPem('CERTIFICATE', c.der), chain: c.chain.map((x) => toPem('CERTIFICATE', x)).join('') });
    }
    const serial = normalizeSerial(p[0]!);
    if (p.length === 1 && req.method === 'GET') {
      const ids = url.searchParams.get('issuer') ? [url.searchParams.get('issuer')!] : d.ca.issuers().map((i) => i.record.id);
      for (const id of ids) {
        const rec = await d.ca.getCert(id, serial);
        if (rec) return send(res, 200, { ...rec, der: undefined, certificate: rec.der ? toPem('CERTIFICATE', rec.der) : null });
      }
      throw new AppError('ERR_CERT_UNKNOWN', `no certificate ${serial}`);
    }
    if (p.length === 2 && p[1] === 'revoke' && req.method === 'POST') {
      const b = await readJson(req, JSON_LIMIT);
      const reason = str(b.reason) ?? 'unspecified';
      const out = await d.ca.revoke(serial, reason as RevocationReason, { actor: admin.actor, ...(str(b.issuerId) ? { issuerId: str(b.issuerId)! } : {}), ...(str(b.invalidityDate) ? { invalidityDate: new Date(str(b.invalidityDate)!) } : {}) });
      return send(res, 200, out);
    }
    throw new AppError('ERR_NOT_FOUND', 'no such route');
  };
  const segments: H = async (req, res, admin, p) => {
    if (p.length === 0 && req.method === 'GET') return send(res, 200, { segments: await d.inventory.segments() });
    if (p.length === 1 && req.method === 'PUT') return send(res, 200, await d.inventory.putSegment({ ...(await readJson(req, JSON_LIMIT)), name: p[0] } as never, admin.actor));
    if (p.length === 1 && req.method === 'DELETE') {
      await d.inventory.deleteSegment(p[0]!, admin.actor);
      return send(res, 200, { deleted: p[0] });
    }
    throw new AppError('ERR_NOT_FOUND', 'no such route');
  };
  const devices: H = async (req, res, admin, p, url) => {
    if (p.length === 0 && req.method === 'GET') {
      const q = url.searchParams;
      return send(res, 200, { devices: await d.inventory.list({ ...(q.get('state') ? { state: q.get('state') as never } : {}), ...(q.get('segment') ? { segment: q.get('segment')! } : {}), ...(q.get('function') ? { function: q.get('function')! } : {}) }) });
    }
    if (p.length === 0 && req.method === 'POST') return send(res, 201, await d.inventory.addDevice((await readJson(req, JSON_LIMIT)) as never, admin.actor));
    if (p.length === 1 && p[0] === 'import' && req.method === 'POST') {
      const type = mediaType(req);
      if (type !== 'text/csv' && type !== 'application/json') throw new AppError('ERR_UNSUPPORTED_MEDIA_TYPE', 'import takes text/csv or application/json');
      const text = (await readBody(req, d.maxBodyBytes)).toString('utf8');
      return send(res, 200, await importDevices(d.db, d.inventory, rowsFromText(text, type === 'text/csv' ? 'csv' : 'json'), admin.actor));
    }
    const id = p[0]!;
    if (p.length === 1 && req.method === 'GET') {
      const dev = await d.inventory.get(id);
      if (!dev) throw new AppError('ERR_DEVICE_UNKNOWN', `no device ${id}`);
      return send(res, 200, dev);
    }
    if (p.length === 1 && req.method === 'PATCH') return send(res, 200, await d.inventory.updateDevice(id, (await readJson(req, JSON_LIMIT)) as never, admin.actor));
    if (p.length === 2 && req.method === 'POST') {
      const action = p[1];
      if (action === 'approve' || action === 'release') return send(res, 200, await d.inventory.approve(id, admin.actor));
      if (action === 'quarantine') return send(res, 200, await d.inventory.quarantine(id, admin.actor, str((await readJson(req, JSON_LIMIT)).reason) ?? 'unspecified'));
      if (action === 'retire') return send(res, 200, await d.onboarding.retire(id, admin.actor));
      if (action === 'token') {
        const b = req.headers['content-length'] === '0' || !req.headers['content-type'] ? {} : await readJson(req, JSON_LIMIT);
        const t = await d.onboarding.createToken(id, admin.actor, typeof b.ttlHours === 'number' ? b.ttlHours : undefined);
        return send(res, 201, { deviceId: id, token: t.token, expiresAt: t.expiresAt });
      }
    }
    throw new AppError('ERR_NOT_FOUND', 'no such route');
  };
  const requests: H = async (req, res, admin, p, url) => {
    if (p.length === 0 && req.method === 'GET') {
      const rows = await d.onboarding.listRequests(url.searchParams.get('status') ?? undefined);
      return send(res, 200, { requests: rows.map(({ csr_der: _c, ...rest }) => rest) });
    }
    if (p.length === 2 && req.method === 'POST' && (p[1] === 'approve' || p[1] === 'reject')) {
      const b = p[1] === 'approve' ? await readJson(req, JSON_LIMIT) : {};
      await d.onboarding.decideRequest(p[0]!, p[1] === 'approve' ? 'approved' : 'rejected', str(b.deviceId) ?? null, admin.actor);
      return send(res, 200, { id: p[0], status: p[1] === 'approve' ? 'approved' : 'rejected' });
    }
    throw new AppError('ERR_NOT_FOUND', 'no such route');
  };
  const table: Record<string, H> = { certificates: certs, segments, devices, 'enrollment-requests': requests };
  r.prefix(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], '/api/v1', async (req, res, ctx) => {
    const admin = await authenticateAdmin(req, d.ca, d.admins);
    const parts = decodeParts(ctx.rest);
    if (parts[0] === 'whoami' && parts.length === 1) return send(res, 200, admin);
    if (parts[0] === 'evidence' && parts.length === 1 && req.method === 'GET') return send(res, 200, await buildEvidence({ db: d.db, ca: d.ca, inventory: d.inventory }));
    const h = table[parts[0] ?? ''];
    if (!h) throw new AppError('ERR_NOT_FOUND', 'no such route');
    await h(req, res, admin, parts.slice(1), ctx.url);
  });
  return r;
}
