/**
 * Loads the configuration: YAML file, then environment overrides, validated and frozen.
 *
 * Rules:
 * - File: --config flag, else GATEHOUSE_CONFIG, else <dataDir>/gatehouse.yaml if present, else none.
 * - Environment overrides: GATEHOUSE_<SECTION>__<KEY>=value, `__` separates levels, SNAKE_CASE
 *   maps to camelCase (GATEHOUSE_HTTP__PUBLIC_URL -> http.publicUrl). Values that parse as JSON
 *   numbers/booleans/arrays/objects are taken as such.
 * - Validation failure names every bad key (`http.port: expected number`); boot stops.
 * - Secrets ({file}|{env}|{value}) are resolved here, once; nothing else reads process.env.
 * - The result is deep-frozen.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { hostname } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { AppError } from '../errors.ts';
import { configSchema, type GatehouseConfig } from './schema.ts';
import { resolveSecret, UnresolvedSecret } from './secret.ts';

export type Config = Readonly<GatehouseConfig> & { readonly nodeId: string; readonly configFile: string | null };

export interface LoadOptions {
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Programmatic overrides applied after env (tests, CLI flags). */
  overrides?: Record<string, unknown>;
}

const ENV_PREFIX = 'GATEHOUSE_';
const NOT_SECTIONS = new Set(['CONFIG', 'TEST_DB']);

const camel = (s: string) => s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function coerce(v: string): unknown {
  if (/^(true|false|null|-?\d+(\.\d+)?|\[.*\]|\{.*\})$/s.test(v.trim())) {
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }
  return v;
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const k of path.slice(0, -1)) {
    const next = cur[k];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[path[path.length - 1]!] = value;
}

function deepMerge(target: Record<string, unknown>, src: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(src)) {
    const t = target[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && t && typeof t === 'object' && !Array.isArray(t)) {
      deepMerge(t as Record<string, unknown>, v as Record<string, unknown>);
    } else target[k] = v;
  }
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as object)) deepFreeze(v);
  }
  return o;
}

function resolveSecrets(node: unknown, path: string, env: NodeJS.ProcessEnv, baseDir: string): unknown {
  if (node instanceof UnresolvedSecret) {
    try {
      return resolveSecret(node.ref, env, baseDir);
    } catch (e) {
      throw new AppError('ERR_CONFIG', `config: ${path}: ${(e as Error).message}`);
    }
  }
  if (Array.isArray(node)) return node.map((v, i) => resolveSecrets(v, `${path}.${i}`, env, baseDir));
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = resolveSecrets(v, path ? `${path}.${k}` : k, env, baseDir);
    return out;
  }
  return node;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  let file = opts.file ?? env.GATEHOUSE_CONFIG ?? null;
  const raw: Record<string, unknown> = {};
  if (!file) {
    const dataDir = env.GATEHOUSE_DATA_DIR ?? './data';
    const candidate = resolve(dataDir, 'gatehouse.yaml');
    if (existsSync(candidate)) file = candidate;
  }
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new AppError('ERR_CONFIG', `config: cannot read ${file}: ${(e as NodeJS.ErrnoException).code}`);
    }
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (e) {
      throw new AppError('ERR_CONFIG', `config: ${file} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
    }
    if (doc !== null && doc !== undefined) {
      if (typeof doc !== 'object' || Array.isArray(doc)) throw new AppError('ERR_CONFIG', `config: ${file} must be a mapping`);
      deepMerge(raw, doc as Record<string, unknown>);
    }
  }
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue;
    const rest = name.slice(ENV_PREFIX.length);
    if (NOT_SECTIONS.has(rest) || rest.startsWith('TEST_')) continue;
    setPath(raw, rest.split('__').map(camel), coerce(value));
  }
  if (opts.overrides) deepMerge(raw, structuredClone(opts.overrides));

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new AppError('ERR_CONFIG', `config${file ? ` (${file})` : ''}: ${lines.join('; ')}`, {
      detail: { issues: lines },
    });
  }
  const baseDir = file ? dirname(resolve(file)) : process.cwd();
  const withSecrets = resolveSecrets(parsed.data, '', env, baseDir) as GatehouseConfig;
  const cfg = {
    ...withSecrets,
    nodeId: withSecrets.nodeId ?? `${hostname()}-${process.pid}`,
    configFile: file ? resolve(file) : null,
  };
  return deepFreeze(cfg);
}
