/**
 * platform/db: the one knex factory (SQLite or PostgreSQL), transactions, group commit with
 * per-group batching, fixed hot SQL, driver-error mapping and migrations. Other folders import
 * it through this file. Rules: see each module's header.
 */
export { createDb, dbKind, type Db, type Tx, type DbKind, type DbOptions } from './knex.ts';
export { withTx } from './tx.ts';
export { mapDbError, isUniqueViolation, conflictOrMapped } from './errors.ts';
export { migrate, type Migration } from './migrate.ts';
export { GroupCommit, type GroupCommitOptions, type GroupCommitStats } from './group-commit.ts';
export { groupScope, type GroupParticipant, type GroupScope } from './group-scope.ts';
export { execute, insertRows } from './sql.ts';
