import { ApiError } from './errors';

/**
 * A tiny parameter schema for API actions. It does two jobs: it validates a JSON body with the
 * codes the real API uses (`UnknownParameter`, `MissingParameter`, `InvalidParameter`), and it
 * coerces the all-string values of the legacy GET/form encoding (`InstanceIds.0=…`,
 * `ForceStop=TRUE`, `Limit=100`) into the same typed shape, so actions see one representation.
 */
export type ParamType =
  | 'String'
  | 'Integer'
  | 'Boolean'
  | { readonly array: ParamType }
  | { readonly object: ParamSpec };

export interface FieldSpec {
  readonly type: ParamType;
  readonly required?: boolean;
}

export type ParamSpec = Readonly<Record<string, FieldSpec>>;

export type Encoding = 'json' | 'query';

function typeName(type: ParamType): string {
  if (typeof type === 'string') return type;
  if ('array' in type) return `Array of ${typeName(type.array)}`;
  return 'Object';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function coerce(path: string, type: ParamType, value: unknown, encoding: Encoding): unknown {
  const wrongType = () =>
    new ApiError(
      'InvalidParameter',
      `The value of parameter \`${path}\` must be of type ${typeName(type)}.`,
    );
  if (type === 'String') {
    if (typeof value !== 'string') throw wrongType();
    return value;
  }
  if (type === 'Integer') {
    if (encoding === 'query' && typeof value === 'string' && /^-?\d{1,15}$/.test(value)) {
      return Number(value);
    }
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw wrongType();
    return value;
  }
  if (type === 'Boolean') {
    // The seed's GET example sends `ForceStop=TRUE`; the SDK's JSON sends a real boolean.
    if (encoding === 'query' && typeof value === 'string') {
      const lower = value.toLowerCase();
      if (lower === 'true') return true;
      if (lower === 'false') return false;
    }
    if (typeof value !== 'boolean') throw wrongType();
    return value;
  }
  if ('array' in type) {
    let items: unknown[];
    if (Array.isArray(value)) items = value;
    else if (encoding === 'query' && isPlainObject(value)) items = indexedToArray(value);
    else throw wrongType();
    return items.map((item, i) => coerce(`${path}.${i}`, type.array, item, encoding));
  }
  if (!isPlainObject(value)) throw wrongType();
  return validateObject(type.object, value, encoding, `${path}.`);
}

/** `{ "0": a, "1": b }` (from `X.0=a&X.1=b`) → `[a, b]`; any other key is malformed. */
function indexedToArray(value: Record<string, unknown>): unknown[] {
  const keys = Object.keys(value);
  const out: unknown[] = [];
  for (const key of keys) {
    if (!/^\d{1,4}$/.test(key)) {
      throw new ApiError('InvalidParameter', `Array index \`${key}\` is not a number.`);
    }
    out[Number(key)] = value[key];
  }
  for (let i = 0; i < out.length; i++) {
    if (!(i in out)) throw new ApiError('InvalidParameter', `Array index ${i} is missing.`);
  }
  return out;
}

function validateObject(
  spec: ParamSpec,
  raw: Record<string, unknown>,
  encoding: Encoding,
  prefix: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(raw)) {
    if (!Object.hasOwn(spec, key)) {
      throw new ApiError(
        'UnknownParameter',
        `The parameter \`${prefix}${key}\` is not recognized.`,
      );
    }
  }
  for (const [key, field] of Object.entries(spec)) {
    const value = raw[key];
    if (value === undefined || value === null) {
      if (field.required) {
        throw new ApiError(
          'MissingParameter',
          `The request is missing a required parameter \`${prefix}${key}\`.`,
        );
      }
      continue;
    }
    out[key] = coerce(`${prefix}${key}`, field.type, value, encoding);
  }
  return out;
}

/** Validates (and for `query`, coerces) the parameters of one action. */
export function validateParams(
  spec: ParamSpec,
  raw: unknown,
  encoding: Encoding,
): Record<string, unknown> {
  if (!isPlainObject(raw)) {
    throw new ApiError('InvalidParameter', 'The request body must be a JSON object.');
  }
  return validateObject(spec, raw, encoding, '');
}

/**
 * Turns flattened query keys (`Filters.0.Values.1=x`) into nested objects. Arrays stay objects
 * with numeric keys here; `validateParams` turns them into arrays where the schema says so.
 */
export function unflatten(flat: Record<string, string>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.split('.');
    let node: Record<string, unknown> = root;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string;
      if (part === '' || part === '__proto__' || part === 'constructor' || part === 'prototype') {
        throw new ApiError('InvalidParameter', `The parameter name \`${key}\` is malformed.`);
      }
      if (i === parts.length - 1) {
        if (Object.hasOwn(node, part)) {
          throw new ApiError('InvalidParameter', `The parameter \`${key}\` is given twice.`);
        }
        node[part] = value;
      } else {
        const next = node[part];
        if (next === undefined) {
          const child: Record<string, unknown> = {};
          node[part] = child;
          node = child;
        } else if (isPlainObject(next)) {
          node = next;
        } else {
          throw new ApiError(
            'InvalidParameter',
            `The parameter \`${key}\` conflicts with another.`,
          );
        }
      }
    }
  }
  return root;
}
