export { createDb, dbKind, type Db, type Tx, type DbKind, type DbOptions } from './knex.ts';
export { withTx, guardDb } from './tx.ts';
export { mapDbError } from './errors.ts';
export { migrate, type Migration } from './migrate.ts';
export { GroupCommit, type GroupCommitOptions, type GroupCommitStats } from './group-commit.ts';
