/** Every part's migrations, in dependency order (platform, ca, enrollment, radius, broker). */
import { auditMigrations } from '../platform/audit/index.ts';
import type { Migration } from '../platform/db/index.ts';
import { eventMigrations } from '../platform/events.ts';
import { caMigrations } from '../ca/migrations.ts';
import { enrollmentMigrations, scepMigrations } from '../enrollment/index.ts';
import { radiusMigrations } from '../radius-bridge/index.ts';
import { brokerMigrations } from '../ztna-broker/index.ts';

export const allMigrations: Migration[] = [...auditMigrations, ...eventMigrations, ...caMigrations, ...enrollmentMigrations, ...scepMigrations, ...radiusMigrations, ...brokerMigrations];
