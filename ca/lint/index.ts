/**
 * ca/lint: the pre-issuance lint set, run on the to-be-signed certificate parsed back from its
 * DER (so the bytes that will be signed are what is checked, not the builder's inputs).
 *
 * Rules enforced: see rules-tbs.ts (RFC 5280 §4.1.2), rules-extensions.ts (§4.2, §4.2.1.1/.2/.9
 * /.13, §4.2.2.1, RFC 6960 §4.2.2.2.1) and rules-usage-names.ts (§4.2.1.3/.6/.12).
 * - A TBS that does not parse strictly is one error finding ('der.parse').
 * - A rule that throws (a malformed extension value) is an error finding under its own id.
 * - assertLint: any error finding -> AppError('ERR_LINT') listing every finding; the caller
 *   must then sign nothing.
 */
import { AppError } from '../../platform/errors.ts';
import { parseTbs, type ParsedTbs } from '../cert-parse.ts';
import { extensionRules } from './rules-extensions.ts';
import { tbsRules } from './rules-tbs.ts';
import { usageNameRules } from './rules-usage-names.ts';
import type { Finding, LintContext, LintRule } from './types.ts';

export type { Finding, LintContext, LintIssuer, LintRule } from './types.ts';

export const LINT_RULES: readonly LintRule[] = [...tbsRules, ...extensionRules, ...usageNameRules];

export function lintTbs(tbsDer: Buffer, ctx: LintContext): Finding[] {
  let tbs: ParsedTbs;
  try {
    tbs = parseTbs(tbsDer);
  } catch (e) {
    return [{ rule: 'der.parse', severity: 'error', message: (e as Error).message }];
  }
  const findings: Finding[] = [];
  for (const rule of LINT_RULES) {
    const report = (message: string, severity: Finding['severity'] = 'error'): void => {
      findings.push({ rule: rule.id, severity, message });
    };
    try {
      rule.check(tbs, ctx, report);
    } catch (e) {
      report(`cannot check: ${(e as Error).message}`);
    }
  }
  return findings;
}

/** Throws ERR_LINT when any finding is an error; returns the (warning) findings otherwise. */
export function assertLint(tbsDer: Buffer, ctx: LintContext): Finding[] {
  const findings = lintTbs(tbsDer, ctx);
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length) {
    throw new AppError('ERR_LINT', `pre-issuance lint failed: ${errors.map((f) => `${f.rule}: ${f.message}`).join('; ')}`, {
      detail: { findings },
    });
  }
  return findings;
}
