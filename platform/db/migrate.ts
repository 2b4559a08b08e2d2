/**
 * Migrations: each part contributes an ordered list; the composition root passes them all here.
 * Names are prefixed by part and number (`ca_001_init`) so lists from several parts interleave
 * deterministically. knex's migration lock keeps two nodes from migrating at once.
 */
import type { Knex } from 'knex';
import type { Db } from './knex.ts';

export interface Migration {
  name: string;
  up(db: Knex): Promise<void>;
  down?(db: Knex): Promise<void>;
}

export async function migrate(db: Db, migrations: readonly Migration[]): Promise<string[]> {
  const names = new Set<string>();
  for (const m of migrations) {
    if (names.has(m.name)) throw new Error(`duplicate migration name ${m.name}`);
    names.add(m.name);
  }
  const source: Knex.MigrationSource<Migration> = {
    getMigrations: async () => [...migrations],
    getMigrationName: (m) => m.name,
    getMigration: async (m) => ({ up: m.up, down: m.down ?? (async () => undefined) }),
  };
  const [, applied] = (await db.migrate.latest({ migrationSource: source, tableName: 'gh_migrations' })) as [number, string[]];
  return applied;
}
