/**
 * Secrets in configuration.
 *
 * Rules:
 * - A secret is given as `{ file: path }` or `{ env: NAME }` (or, discouraged, `{ value: "..." }`);
 *   there is no default secret anywhere in Gatehouse.
 * - The resolved value lives in a Secret object that never serialises its value: JSON, inspect
 *   and string conversion all print "[secret]", so logging a config cannot leak it.
 */
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { z } from 'zod';

export class Secret {
  readonly #value: string;
  readonly source: string;
  constructor(value: string, source: string) {
    this.#value = value;
    this.source = source;
  }
  reveal(): string {
    return this.#value;
  }
  get length(): number {
    return this.#value.length;
  }
  toJSON(): string {
    return `[secret from ${this.source}]`;
  }
  toString(): string {
    return '[secret]';
  }
  [inspect.custom](): string {
    return `Secret(${this.source})`;
  }
}

const secretRefShape = z.union([
  z.strictObject({ file: z.string().min(1) }),
  z.strictObject({ env: z.string().min(1) }),
  z.strictObject({ value: z.string().min(1) }),
]);
export type SecretRef = z.infer<typeof secretRefShape>;

/** Placeholder the loader replaces with a resolved Secret (it finds these by instanceof). */
export class UnresolvedSecret {
  constructor(readonly ref: SecretRef) {}
}

/** Use for every secret in a section schema; after loading, the field holds a Secret. */
export const secretRef = secretRefShape.transform((ref) => new UnresolvedSecret(ref) as unknown as Secret);

/** Resolves a reference; throws a plain Error naming the reference (the loader adds the key). */
export function resolveSecret(ref: SecretRef, env: NodeJS.ProcessEnv, baseDir: string): Secret {
  if ('file' in ref) {
    const path = ref.file.startsWith('/') ? ref.file : `${baseDir}/${ref.file}`;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new Error(`cannot read secret file ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    const v = text.replace(/\r?\n$/, '');
    if (!v) throw new Error(`secret file ${path} is empty`);
    return new Secret(v, `file ${path}`);
  }
  if ('env' in ref) {
    const v = env[ref.env];
    if (!v) throw new Error(`environment variable ${ref.env} is not set`);
    return new Secret(v, `env ${ref.env}`);
  }
  return new Secret(ref.value, 'config value');
}
