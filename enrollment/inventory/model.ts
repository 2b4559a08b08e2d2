/**
 * The device inventory's data model and validation.
 *
 * Rules:
 * - Device ids are slugs (letters, digits, `.`, `_`, `-`; 1..128) because they appear in URI SANs
 *   (urn:gatehouse:device:<id>) and in RADIUS User-Names.
 * - MAC addresses are normalised to lower-case colon form; any common notation is accepted.
 * - Lifecycle: registered -> approved -> enrolled; approved|enrolled -> quarantined -> approved;
 *   any -> retired (terminal). Every transition is audited by the service.
 * - VLAN ids are 1..4094 (IEEE 802.1Q; 0 and 4095 reserved).
 * - No control characters in any text field (they end up in certificates and logs).
 */
import { z } from 'zod';
import { AppError } from '../../platform/errors.ts';

export const DEVICE_STATES = ['registered', 'approved', 'enrolled', 'quarantined', 'retired'] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];
export const RISK_TIERS = ['low', 'medium', 'high', 'critical'] as const;

const TRANSITIONS: Record<DeviceState, readonly DeviceState[]> = {
  registered: ['approved', 'retired', 'quarantined'],
  approved: ['enrolled', 'quarantined', 'retired'],
  enrolled: ['enrolled', 'quarantined', 'retired'],
  quarantined: ['approved', 'retired'],
  retired: [],
};

export function assertTransition(from: DeviceState, to: DeviceState): void {
  if (!TRANSITIONS[from].includes(to)) throw new AppError('ERR_DEVICE_STATE', `device cannot go from ${from} to ${to}`);
}

const text = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
    .refine((s) => !/[\u0000-\u001f\u007f-\u009f]/.test(s), 'must not contain control characters');

export function normalizeMac(input: string): string | null {
  const hex = input.trim().toLowerCase().replace(/[:\-.\s]/g, '');
  if (!/^[0-9a-f]{12}$/.test(hex)) return null;
  return hex.match(/../g)!.join(':');
}

const mac = z.string().transform((s, ctx) => {
  const m = normalizeMac(s);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `not a MAC address: ${JSON.stringify(s.slice(0, 40))}` });
    return z.NEVER;
  }
  return m;
});

export const deviceId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, . _ - (1..128, starting alphanumeric)');

export const deviceInput = z.strictObject({
  id: deviceId,
  name: text(256).pipe(z.string().min(1)),
  function: text(64).pipe(z.string().min(1)),
  owner: text(256).pipe(z.string().min(1)),
  location: text(256).default(''),
  riskTier: z.enum(RISK_TIERS).default('medium'),
  segment: z.string().min(1).max(64),
  macs: z.array(mac).max(16).default([]),
  manufacturer: text(256).optional(),
  model: text(256).optional(),
  idevidSerial: text(256).optional(),
  firmwareVersion: text(64).optional(),
  dnsName: z
    .string()
    .max(253)
    .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i, 'not a DNS name')
    .optional(),
  mabOnly: z.boolean().default(false),
});
export type DeviceInput = z.input<typeof deviceInput>;
export type DeviceFields = z.output<typeof deviceInput>;

export const deviceUpdate = deviceInput.omit({ id: true }).partial().strict();
export type DeviceUpdate = z.input<typeof deviceUpdate>;

export interface Device extends DeviceFields {
  state: DeviceState;
  registeredAt: string;
  approvedAt: string | null;
  enrolledAt: string | null;
  quarantinedAt: string | null;
  retiredAt: string | null;
  updatedAt: string;
  firmwareUpdatedAt: string | null;
}

export const flowSpec = z.strictObject({
  to: text(256).pipe(z.string().min(1)),
  ports: z.array(z.number().int().min(0).max(65535)).default([]),
  protocol: z.enum(['tcp', 'udp', 'icmp', 'any']).default('tcp'),
  purpose: text(256).default(''),
});

export const segmentInput = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lower-case letters, digits, . _ - (1..64)'),
  vlanId: z.number().int().min(1).max(4094),
  description: text(1024).default(''),
  flows: z.array(flowSpec).max(256).default([]),
});
export type SegmentInput = z.input<typeof segmentInput>;
export type Segment = z.output<typeof segmentInput> & { createdAt: string; updatedAt: string };

/** zod error -> one readable line naming the fields. */
export function describeZodError(e: z.ZodError): string {
  return e.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
}

export function parseOrThrow<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const r = schema.safeParse(input);
  if (!r.success) throw new AppError('ERR_BAD_INPUT', describeZodError(r.error), { detail: { issues: r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) } });
  return r.data;
}
