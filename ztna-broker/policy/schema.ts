/**
 * The routes + rules policy document: YAML text → zod-validated document → compiled Policy.
 *
 * Rules enforced:
 * - YAML 1.2 core schema (`on`/`yes` stay strings, `07:00` stays a string), one document,
 *   unique keys, at most 100 aliases (billion-laughs guard), bounded text size.
 * - Every object is strict: an unknown key is an error naming its full path
 *   (`routes[0].session.maxIdelSeconds`). There is no key that disables upstream TLS
 *   verification; `insecure`/`skipVerify`-style keys get a message saying so.
 * - Upstreams are `http(s)://host[:port]` origins only (no path, query, userinfo); an https
 *   upstream needs `pin` (SPKI `sha256/<b64>` or certificate `sha256:<hex>`) or `ca`.
 * - Field-level checks live here (ids, host names, CIDRs, clocks, time zones, normalized paths);
 *   cross-references (unique ids and hosts, known route ids) are checked in compile.ts.
 * - Every failure is AppError('ERR_POLICY_INVALID') whose message names the path.
 */
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { AppError } from '../../platform/errors.ts';
import { parseCidr } from './cidr.ts';
import { compilePolicy } from './compile.ts';
import { normalizeFingerprint, parsePin } from './fingerprint.ts';
import { isNormalizedPath } from './path.ts';
import { DAY_NAMES, compileTimeWindow } from './time-window.ts';
import { HTTP_METHODS, MFA_METHODS, type LoadPolicyOptions, type Policy } from './types.ts';

const ID = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;
const HOST = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const MAX_LIST = 1000;

const id = z.string().regex(ID, 'must be 1-64 of a-z 0-9 . _ - (starting and ending alphanumeric)');
const text = z.string().min(1).max(512);
const list = <T extends z.ZodType>(item: T) => z.array(item).min(1).max(MAX_LIST);

const upstream = z.string().transform((s, ctx) => {
  let u: URL | null = null;
  if (/^https?:\/\/[^/?#\\@]+\/?$/i.test(s)) {
    try {
      u = new URL(s);
    } catch {
      u = null;
    }
  }
  if (u === null || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.username || u.password) {
    ctx.addIssue({ code: 'custom', message: 'must be an http:// or https:// origin (host and optional port only)' });
    return z.NEVER;
  }
  const protocol = u.protocol as 'http:' | 'https:';
  const port = u.port === '' ? (protocol === 'https:' ? 443 : 80) : Number(u.port);
  return { origin: u.origin, protocol, hostname: u.hostname, port };
});

const pin = z
  .string()
  .refine((s) => parsePin(s) !== null, 'must be sha256/<base64 SPKI hash> or sha256:<hex cert fingerprint>');

const route = z
  .strictObject({
    id,
    host: z.string().toLowerCase().regex(HOST, 'must be a DNS host name without port'),
    upstream,
    pin: z.union([pin, z.array(pin).min(1).max(8)]).optional(),
    ca: z
      .string()
      .min(1)
      .max(4096)
      .refine((s) => !s.includes('\0'), 'must not contain NUL')
      .optional(),
    websocket: z.boolean().default(false),
    sensitive: z.boolean().default(false),
    session: z
      .strictObject({
        maxIdleSeconds: z.number().int().min(1).max(86_400),
        maxLifetimeSeconds: z
          .number()
          .int()
          .min(1)
          .max(30 * 86_400),
      })
      .refine((s) => s.maxIdleSeconds <= s.maxLifetimeSeconds, {
        message: 'maxIdleSeconds must not exceed maxLifetimeSeconds',
        path: ['maxIdleSeconds'],
      })
      .default({ maxIdleSeconds: 900, maxLifetimeSeconds: 28_800 }),
  })
  .superRefine((r, ctx) => {
    if (r.upstream.protocol === 'https:' && r.pin === undefined && r.ca === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'https upstream requires pin or ca (verification cannot be skipped)',
        path: ['pin'],
      });
    }
    if (r.upstream.protocol === 'http:' && (r.pin !== undefined || r.ca !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'pin/ca only apply to https upstreams', path: ['upstream'] });
    }
  });

const cidr = z.string().superRefine((s, ctx) => {
  const r = parseCidr(s);
  if (!r.ok) ctx.addIssue({ code: 'custom', message: r.error });
});

const timeWindow = z
  .strictObject({
    days: list(z.enum(DAY_NAMES)).max(7),
    from: z.string(),
    to: z.string(),
    tz: z.string().default('UTC'),
  })
  .superRefine((w, ctx) => {
    const r = compileTimeWindow(w);
    if (typeof r === 'string') ctx.addIssue({ code: 'custom', message: r });
  });

const when = z.strictObject({
  groups: list(text).optional(),
  users: list(text).optional(),
  certificate: z
    .strictObject({
      issuer: text,
      fingerprints: list(
        z.string().refine((s) => normalizeFingerprint(s) !== null, 'must be a SHA-256 hex fingerprint'),
      ).optional(),
    })
    .optional(),
  mfa: z
    .strictObject({
      methods: list(z.enum(MFA_METHODS)).optional(),
      maxAgeSeconds: z.number().int().min(1).max(86_400).optional(),
    })
    .optional(),
  methods: list(z.enum(HTTP_METHODS)).optional(),
  paths: list(z.string().refine(isNormalizedPath, 'must be a normalized absolute path without query')).optional(),
  sourceCidrs: list(cidr).optional(),
  timeWindow: timeWindow.optional(),
  jitGrant: z.boolean().optional(),
});

const rule = z
  .strictObject({
    id,
    effect: z.enum(['allow', 'deny']),
    routes: list(z.union([id, z.literal('*')])),
    when: when.default({}),
  })
  .superRefine((r, ctx) => {
    if (r.routes.includes('*') && r.routes.length > 1) {
      ctx.addIssue({ code: 'custom', message: "'*' must be the only entry", path: ['routes'] });
    }
    if (r.effect === 'allow' && r.when.groups === undefined && r.when.users === undefined) {
      ctx.addIssue({ code: 'custom', message: 'an allow rule must name groups or users', path: ['when'] });
    }
    if (r.effect === 'deny') {
      for (const k of ['mfa', 'jitGrant'] as const) {
        if (r.when[k] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            message: `${k} is a requirement and only applies to allow rules`,
            path: ['when', k],
          });
        }
      }
    }
  });

export const policyDocumentSchema = z.strictObject({
  routes: z.array(route).max(10_000),
  rules: z.array(rule).max(10_000),
});

export type PolicyDocument = z.output<typeof policyDocumentSchema>;

const TLS_SKIP_KEY = /insecure|skip.?verif|no.?verif|reject.?unauthori[sz]ed|verify/i;

function formatPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const k of path) s += typeof k === 'number' ? `[${k}]` : s === '' ? String(k) : `.${String(k)}`;
  return s === '' ? '(document)' : s;
}

function invalid(message: string, cause?: unknown): AppError {
  return new AppError('ERR_POLICY_INVALID', `policy invalid: ${message}`, cause === undefined ? {} : { cause });
}

/** Formats zod issues as `path: message` lines; unknown keys are listed one by one. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const name = key.length > 64 ? `${key.slice(0, 64)}...` : key;
        const hint = TLS_SKIP_KEY.test(key) ? ' (TLS verification cannot be disabled; use pin or ca)' : '';
        out.push(`${formatPath([...issue.path, name])}: unknown key${hint}`);
      }
    } else {
      out.push(`${formatPath(issue.path)}: ${issue.message}`);
    }
  }
  return out;
}

export function loadPolicy(yamlText: string, opts: LoadPolicyOptions = {}): Policy {
  const maxChars = opts.maxChars ?? 1024 * 1024;
  const stepUp = opts.stepUpMaxAgeSeconds ?? 300;
  if (!Number.isInteger(stepUp) || stepUp < 1 || stepUp > 86_400) {
    throw new AppError('ERR_CONFIG', 'stepUpMaxAgeSeconds must be an integer from 1 to 86400');
  }
  if (typeof yamlText !== 'string') throw invalid('(document): must be YAML text');
  if (yamlText.length > maxChars) throw invalid(`(document): larger than ${maxChars} characters`);
  let data: unknown;
  try {
    const doc = parseDocument(yamlText, {
      version: '1.2',
      schema: 'core',
      uniqueKeys: true,
      merge: false,
      prettyErrors: false,
    });
    const first = doc.errors[0];
    if (first !== undefined) {
      const before = yamlText.slice(0, first.pos[0]);
      const line = before.split('\n').length;
      const column = first.pos[0] - before.lastIndexOf('\n');
      throw invalid(`(document): YAML ${first.code} at line ${line}, column ${column}`, first);
    }
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw invalid('(document): YAML could not be read', e);
  }
  const parsed = policyDocumentSchema.safeParse(data);
  if (!parsed.success) {
    const lines = describeIssues(parsed.error.issues);
    const shown = lines.slice(0, 5).join('; ') + (lines.length > 5 ? `; and ${lines.length - 5} more` : '');
    throw new AppError('ERR_POLICY_INVALID', `policy invalid: ${shown}`, { detail: { issues: lines.slice(0, 50) } });
  }
  return compilePolicy(parsed.data, stepUp);
}
