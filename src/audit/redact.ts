/**
 * Redaction for everything the rotator logs. Logs go to CLS and are kept
 * (https://tencentcloud.com/document/product/583/46772; facts §6), so a password that reaches a log
 * line is a leaked password. Two independent nets:
 *
 * 1. by key: the value of any field whose name is, or ends with, a sensitive word (`password`,
 *    `SecretString`, `X-TC-Token`, `newPassword`, …) becomes `[REDACTED]`, whatever it is;
 * 2. by value: every registered secret (each generated password, the credentials) is replaced
 *    wherever it appears inside any string: a message, an SDK error's message, a stack, a nested
 *    field, even an object key. URL- and JSON-escaped forms are registered too.
 *
 * `redact` returns a JSON-safe copy (plain objects, arrays, strings, finite numbers, booleans,
 * null): Errors become `{ name, message, code, requestId, …, cause }`, cycles become
 * `[Circular]`, BigInts become strings, and the keys `__proto__`, `constructor` and `prototype`
 * are dropped so that a crafted payload cannot reach an object's prototype.
 *
 * @example
 * const redactor = new Redactor();
 * redactor.register(password);
 * JSON.stringify(redactor.redact({ message: `reset to ${password}` })); // {"message":"reset to [REDACTED]"}
 */

export const REDACTED = '[REDACTED]';

/**
 * Field names whose values are always redacted, compared case-insensitively after removing `-`,
 * `_` and other separators; a key also matches when it ENDS with one (`newPassword`, `x-tc-token`,
 * `SessionToken`). Suffix matching keeps `passwordScope` and `passwordLength` visible.
 */
export const SENSITIVE_KEYS = [
  'password',
  'secretstring',
  'secretbinary',
  'secretkey',
  'secret_key',
  'token',
  'sessiontoken',
  'authorization',
  'signature',
] as const;

const NORMALIZED_SENSITIVE_KEYS = [...new Set(SENSITIVE_KEYS.map(normalizeKey))];

/** Keys that could reach an object's prototype if copied: dropped, never copied. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Deeper structures are cut off; logs describe, they do not dump. */
const MAX_DEPTH = 12;

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** True when a field of this name holds a secret. */
export function isSensitiveKey(key: string): boolean {
  const normalized = normalizeKey(key);
  return NORMALIZED_SENSITIVE_KEYS.some((word) => normalized.endsWith(word));
}

export interface RedactorOptions {
  /** Include `stack` when serialising errors (redacted like any string). Default true. */
  readonly includeStack?: boolean;
}

/** A JSON value, as {@link Redactor.redact} produces it. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

export class Redactor {
  readonly #secrets = new Set<string>();
  /** Undefined: not built yet; null: the secrets cannot form one regular expression. */
  #pattern: RegExp | null | undefined;
  #long: string[] | undefined;
  readonly #includeStack: boolean;

  constructor(options: RedactorOptions = {}) {
    this.#includeStack = options.includeStack ?? true;
  }

  /**
   * Registers a secret: from now on it never appears in redacted output. Empty and undefined
   * values are ignored (the token is optional). Short secrets are redacted too: over-redacting a
   * log is harmless, under-redacting is a leak.
   */
  register(secret: string | undefined): void {
    if (secret === undefined || secret === '') return;
    const before = this.#secrets.size;
    for (const form of encodedForms(secret)) this.#secrets.add(form);
    if (this.#secrets.size !== before) {
      this.#pattern = undefined;
      this.#long = undefined;
    }
  }

  /** How many distinct forms are registered (for tests and diagnostics). */
  get size(): number {
    return this.#secrets.size;
  }

  /** Replaces every registered secret inside `text`. */
  redactString(text: string): string {
    if (this.#secrets.size === 0) return text;
    if (this.#pattern === undefined || this.#long === undefined) {
      // Very long values (a foreign SSM version may hold kilobytes) are replaced by plain
      // search, longest first, before the one regular expression of all the others: V8 refuses
      // a regular expression with an alternative of some 32,000 characters.
      const sorted = [...this.#secrets].sort((a, b) => b.length - a.length);
      this.#long = sorted.filter((s) => s.length > LONG_SECRET);
      try {
        this.#pattern = buildPattern(sorted.filter((s) => s.length <= LONG_SECRET));
      } catch {
        this.#pattern = null;
        this.#long = sorted;
      }
    }
    let out = text;
    for (const secret of this.#long)
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return this.#pattern ? out.replace(this.#pattern, REDACTED) : out;
  }

  /**
   * A redacted, JSON-safe copy of `value` (a {@link JsonValue}; typed `unknown` so that callers
   * that know the shape, such as a report object, can narrow it). Never throws.
   */
  redact(value: unknown): unknown {
    try {
      return this.#walk(value, new Set(), 0);
    } catch {
      return '[Unserializable]';
    }
  }

  /**
   * An error that is safe to throw out of the function: SCF logs a thrown error to CLS and returns
   * it to the invoker. Same prototype (so `instanceof ConfigError`, `isCloudError` and `code` still
   * work), with every own property redacted: strings by registered value, sensitive keys by name,
   * `cause` recursively. Returns `error` itself when nothing needed redacting. A thrown non-Error
   * becomes an `Error` whose message is the redacted JSON of the value.
   */
  sanitizeError(error: unknown): Error {
    try {
      return this.#sanitizeError(error, 0);
    } catch {
      return new Error('error could not be sanitised');
    }
  }

  #sanitizeError(error: unknown, depth: number): Error {
    if (!(error instanceof Error)) {
      const text = typeof error === 'string' ? error : JSON.stringify(this.redact(error));
      return new Error(`non-error thrown: ${this.redactString(text ?? String(error))}`);
    }
    let changed = false;
    const copy = Object.create(Object.getPrototypeOf(error) as object | null) as Error;
    for (const key of Object.getOwnPropertyNames(error)) {
      if (FORBIDDEN_KEYS.has(key)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(error, key);
      if (!descriptor || !('value' in descriptor)) {
        changed = true; // accessors are dropped rather than trusted
        continue;
      }
      const original: unknown = descriptor.value;
      let value: unknown;
      if (isSensitiveKey(key) && original !== undefined && original !== null) value = REDACTED;
      else if (typeof original === 'string') value = this.redactString(original);
      else if (key === 'cause' && original instanceof Error && depth < MAX_DEPTH) {
        value = this.#sanitizeError(original, depth + 1);
      } else if (original !== null && typeof original === 'object') {
        const redacted = this.redact(original);
        value = JSON.stringify(redacted) === JSON.stringify(original) ? original : redacted;
      } else value = original;
      if (value !== original) changed = true;
      Object.defineProperty(copy, key, { ...descriptor, value });
    }
    return changed ? copy : error;
  }

  #walk(value: unknown, ancestors: Set<object>, depth: number): JsonValue {
    switch (typeof value) {
      case 'string':
        return this.redactString(value);
      case 'number':
        return Number.isFinite(value) ? value : String(value);
      case 'boolean':
        return value;
      case 'bigint':
        return value.toString();
      case 'undefined':
        return null;
      case 'symbol':
        return this.redactString(value.toString());
      case 'function':
        return `[Function${value.name ? ` ${this.redactString(value.name)}` : ''}]`;
    }
    if (value === null) return null;
    const object = value as object;
    if (ancestors.has(object)) return '[Circular]';
    if (depth >= MAX_DEPTH) return '[Truncated]';

    ancestors.add(object);
    try {
      return this.#walkObject(object, ancestors, depth + 1);
    } catch {
      // A hostile or broken object (throwing proxy trap, toJSON) costs its own field, not the line.
      return '[Unserializable]';
    } finally {
      ancestors.delete(object);
    }
  }

  #walkObject(object: object, ancestors: Set<object>, depth: number): JsonValue {
    if (object instanceof Error) return this.#walkError(object, ancestors, depth);
    if (object instanceof Date) {
      return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
    }
    // Bytes are never dumped: a SecretBinary or a request body could be in them.
    if (ArrayBuffer.isView(object) || object instanceof ArrayBuffer) {
      return `[Binary ${object.byteLength} bytes]`;
    }
    if (Array.isArray(object)) return object.map((item) => this.#walk(item, ancestors, depth));
    if (object instanceof Map) {
      return this.#walkEntries(
        [...object.entries()].map(([k, v]) => [String(k), v]),
        ancestors,
        depth,
      );
    }
    if (object instanceof Set) return [...object].map((item) => this.#walk(item, ancestors, depth));
    const toJSON = (object as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      return this.#walk(toJSON.call(object), ancestors, depth);
    }
    return this.#walkEntries(ownEntries(object), ancestors, depth);
  }

  #walkEntries(
    entries: ReadonlyArray<readonly [string, unknown]>,
    ancestors: Set<object>,
    depth: number,
  ): { [key: string]: JsonValue } {
    const out: { [key: string]: JsonValue } = {};
    for (const [key, raw] of entries) {
      if (FORBIDDEN_KEYS.has(key)) continue;
      const safeKey = this.redactString(key);
      if (FORBIDDEN_KEYS.has(safeKey)) continue;
      if (raw === undefined) continue;
      out[safeKey] =
        isSensitiveKey(key) && raw !== null ? REDACTED : this.#walk(raw, ancestors, depth);
    }
    return out;
  }

  /**
   * Errors lose their fields in JSON.stringify (name, message and stack are not enumerable), so
   * they are copied explicitly: name, message, the Tencent fields (`code`, `requestId`, and
   * whatever else the error carries, e.g. the SDK's `traceId` and `httpCode`), then the cause chain.
   */
  #walkError(error: Error, ancestors: Set<object>, depth: number): { [key: string]: JsonValue } {
    const entries: Array<readonly [string, unknown]> = [
      ['name', error.name],
      ['message', error.message],
    ];
    for (const [key, value] of ownEntries(error)) {
      if (key !== 'name' && key !== 'message' && key !== 'stack' && key !== 'cause') {
        entries.push([key, value]);
      }
    }
    // `code` and `requestId` may be getters or inherited; read them explicitly.
    for (const key of ['code', 'requestId'] as const) {
      const value = (error as unknown as Record<string, unknown>)[key];
      if (value !== undefined && !entries.some(([k]) => k === key)) entries.push([key, value]);
    }
    if (this.#includeStack && typeof error.stack === 'string') entries.push(['stack', error.stack]);
    if (error.cause !== undefined) entries.push(['cause', error.cause]);
    return this.#walkEntries(entries, ancestors, depth);
  }
}

/** Own enumerable string-keyed properties; a throwing getter yields a marker, not an exception. */
function ownEntries(object: object): Array<readonly [string, unknown]> {
  return Object.keys(object).map((key) => {
    try {
      return [key, (object as Record<string, unknown>)[key]] as const;
    } catch {
      return [key, '[Unreadable]'] as const;
    }
  });
}

/**
 * The forms a secret can take inside a string we log: as is, URL-encoded (a GET request's query),
 * and JSON-escaped (an SDK error quoting a request body). Passwords from the generator contain no
 * `"` or `\`, so the JSON form only differs for credentials or foreign values.
 */
function encodedForms(secret: string): string[] {
  const forms = new Set([secret]);
  try {
    forms.add(encodeURIComponent(secret));
  } catch {
    // A lone surrogate cannot be URL-encoded; it cannot appear URL-encoded either.
  }
  forms.add(JSON.stringify(secret).slice(1, -1));
  return [...forms];
}

/** Secrets longer than this are replaced by plain search rather than in the regular expression. */
const LONG_SECRET = 1_024;

/** One alternation of `secrets` (sorted longest first), so a secret containing another is replaced whole. */
function buildPattern(secrets: readonly string[]): RegExp | null {
  if (secrets.length === 0) return null;
  const alternatives = secrets.map((secret) => secret.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'));
  return new RegExp(alternatives.join('|'), 'g');
}
