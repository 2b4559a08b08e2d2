/**
 * The lint vocabulary: a rule looks at the parsed to-be-signed certificate and the context it
 * will be signed in, and reports findings. Rules never throw for bad input: a value that does
 * not parse is itself a finding (the runner turns a throwing rule into an error finding).
 */
import type { ParsedTbs } from '../cert-parse.ts';
import type { Profile } from '../profiles/index.ts';

export interface LintIssuer {
  id: string;
  /** The issuer certificate's subject Name DER (must equal the TBS issuer field, RFC 5280 §4.1.2.4). */
  nameDer: Buffer;
  ski: Buffer;
  notBefore: Date;
  notAfter: Date;
  /** signatureAlgorithmFor(issuer key). */
  signatureAlgorithm: Buffer;
}

export interface LintContext {
  profile: Profile;
  issuer: LintIssuer;
  /** The SubjectPublicKeyInfo the CSR proved possession of; the TBS must carry it verbatim. */
  spkiDer?: Buffer;
  /** Whether the grant asked for serverAuth (optional-serverAuth profiles). */
  serverAuth?: boolean;
}

export interface Finding {
  rule: string;
  severity: 'error' | 'warning';
  message: string;
}

export interface LintRule {
  id: string;
  /** Pushes findings; may throw ERR_DER_MALFORMED on a bad extension value (reported as error). */
  check(tbs: ParsedTbs, ctx: LintContext, report: (message: string, severity?: Finding['severity']) => void): void;
}
