/** Opens the online CA for a CLI command (never the root: see ca/root, used by ceremony only). */
import { AppError } from '../platform/index.ts';
import { CaService } from '../ca/index.ts';
import type { Context } from './context.ts';

export async function openCa(ctx: Context): Promise<CaService> {
  const pass = ctx.config.ca.keyPassphrase;
  if (!pass) throw new AppError('ERR_CONFIG', 'ca.keyPassphrase is not configured (needed to unlock the issuing CA key)');
  if (!ctx.audit) throw new AppError('ERR_CONFIG', 'the audit key is missing: run `gatehouse init` first');
  return CaService.open({
    db: ctx.db,
    audit: ctx.audit,
    bus: ctx.bus,
    publicUrl: ctx.config.http.publicUrl,
    passphrase: pass.reveal(),
    profiles: ctx.config.ca.profiles,
  });
}

/** Opens the context with the audit key and the CA, runs fn, closes both. */
export async function withCa<T>(open: () => Promise<Context>, fn: (ctx: Context, ca: CaService) => Promise<T>): Promise<T> {
  const ctx = await open();
  try {
    const ca = await openCa(ctx);
    try {
      return await fn(ctx, ca);
    } finally {
      await ca.close();
    }
  } finally {
    await ctx.close();
  }
}
