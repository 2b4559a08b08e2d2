/** Every part's migrations, in dependency order (platform, ca, enrollment, radius, broker). */
import { auditMigrations } from '../platform/audit/index.ts';
import type { Migration } from '../platform/db/index.ts';
import { caMigrations } from '../ca/migrations.ts';

export const allMigrations: Migration[] = [...auditMigrations, ...caMigrations];
