/**
 * The ONE configuration schema. Each part of Gatehouse receives only its own section.
 * Unknown keys are rejected everywhere (a typo must fail boot, not be ignored).
 * Sections for enrollment, RADIUS and the broker live in sections/ beside the core ones.
 */
import { z } from 'zod';
import { adminSection, auditSection, dbSection, httpSection, logSection } from './sections/core.ts';
import { caSection } from './sections/ca.ts';
import { enrollmentSection } from './sections/enrollment.ts';
import { radiusSection } from './sections/radius.ts';
import { brokerSection } from './sections/broker.ts';
import { apiSection } from './sections/api.ts';

export const configSchema = z.strictObject({
  /** Stable name of this node (several nodes may share one PostgreSQL). */
  nodeId: z.string().min(1).optional(),
  dataDir: z.string().min(1).default('./data'),
  db: dbSection.prefault({}),
  log: logSection.prefault({}),
  http: httpSection.prefault({}),
  admin: adminSection.prefault({}),
  audit: auditSection.prefault({}),
  api: apiSection.prefault({}),
  ca: caSection.prefault({}),
  enrollment: enrollmentSection.prefault({}),
  radius: radiusSection.prefault({}),
  broker: brokerSection.prefault({}),
});

export type GatehouseConfig = z.infer<typeof configSchema>;
