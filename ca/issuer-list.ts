/** Issuer records without unlocking any key (for listings and evidence). */
import type { Db } from '../platform/db/index.ts';
import { caStore } from './store.ts';
import type { IssuerRecord } from './types.ts';

export function listIssuerRecords(db: Db): Promise<IssuerRecord[]> {
  return caStore.listIssuers(db);
}
