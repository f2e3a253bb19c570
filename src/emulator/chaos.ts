/**
 * The misbehaving emulator: corrupts SUCCESS answers of chosen actions after the action ran and
 * before the answer leaves, so that a client meets missing fields, nulls, wrong types, unknown
 * enum values, a TotalCount that lies, pages far above `Limit`, duplicates, a missing RequestId,
 * an empty or non-JSON body, an HTTP 500 with an HTML page, or a slow answer.
 *
 * The action itself always runs first: a corrupted answer to `ResetInstancesPassword` still
 * started the reset, a corrupted answer to `PutSecretValue` still stored the version. Only what
 * the client hears changes, never the emulator's state. Error answers are left alone (fault
 * injection in `FaultOptions` covers those).
 *
 * Reproducible: every random choice (whether a rule fires, which array element `[?]` picks,
 * where a body is truncated) comes from one PRNG seeded by `ChaosOptions.seed`, consumed in the
 * order answers are produced. The same seed and the same sequence of requests give the same
 * answers; requests a client sends in parallel may reach the emulator in a different order.
 *
 * ```ts
 * emulator.state.chaos = {
 *   seed: 7,
 *   rules: [
 *     { action: 'DescribeInstances', mutation: { kind: 'set', path: 'InstanceSet[?].InstanceState', value: 'WEIRD' } },
 *     { action: 'GetSecretValue', probability: 0.3, mutation: { kind: 'drop', path: 'SecretString' } },
 *     { action: '*', probability: 0.05, mutation: { kind: 'http', status: 500 } },
 *   ],
 * };
 * ```
 *
 * See docs/fuzzing.md.
 */
import { createRandom, type Random } from './random';

/**
 * A path into the answer's `Response` object (RequestId included): `TotalCount`,
 * `InstanceSet[*].InstanceState` (every element), `Versions[?].CreateTime` (one element picked by
 * the PRNG), `ImageSet[0]` (an index). A path that does not exist in an answer changes nothing.
 */
export type ChaosPath = string;

export type ChaosMutation =
  /** Removes the field (or the array element). */
  | { readonly kind: 'drop'; readonly path: ChaosPath }
  /** Sets it to null. */
  | { readonly kind: 'null'; readonly path: ChaosPath }
  /**
   * Changes its type, keeping something of its value: string → number, number → string,
   * boolean → string, object → array of its values, array → object keyed by index, null → {}.
   */
  | { readonly kind: 'retype'; readonly path: ChaosPath }
  /** Sets it to `value`, e.g. an unknown enum value (`InstanceState: 'WEIRD'`). */
  | { readonly kind: 'set'; readonly path: ChaosPath; readonly value: unknown }
  /**
   * Makes `TotalCount` lie: `high` (true + 1..1000), `low` (true − 1..true, at least 0), `zero`,
   * `negative`, `huge` (2^31), `fractional` (true + 0.5), `string` (the true count as a string).
   */
  | {
      readonly kind: 'totalCount';
      readonly mode: 'high' | 'low' | 'zero' | 'negative' | 'huge' | 'fractional' | 'string';
    }
  /**
   * Inflates the answer's list (`InstanceSet`, `ImageSet`, `SecretMetadatas`, `Versions`, or the
   * list at `path`) to `size` entries (default 250, far above any `Limit`) by repeating its
   * entries, so the page also holds duplicates. An empty list stays empty.
   */
  | { readonly kind: 'hugePage'; readonly size?: number; readonly path?: ChaosPath }
  /** Repeats one entry (picked by the PRNG) of the answer's list once: a duplicate in a page. */
  | { readonly kind: 'duplicate'; readonly path?: ChaosPath }
  /**
   * Replaces the whole body (HTTP 200): `empty` (no bytes), `truncated` (the real body cut at a
   * random point), `junk` (the real body followed by garbage), `html` (an HTML page),
   * `emptyObject` (`{}`), `nullResponse` (`{"Response":null}`), `arrayResponse`
   * (`{"Response":[]}`), `primitiveResponse` (`{"Response":"OK"}`).
   */
  | {
      readonly kind: 'body';
      readonly mode:
        | 'empty'
        | 'truncated'
        | 'junk'
        | 'html'
        | 'emptyObject'
        | 'nullResponse'
        | 'arrayResponse'
        | 'primitiveResponse';
    }
  /** Answers this HTTP status (default 500) with an HTML error page instead of the envelope. */
  | { readonly kind: 'http'; readonly status?: number }
  /**
   * Delays the (otherwise intact) answer by `ms` real milliseconds, capped at
   * {@link MAX_CHAOS_DELAY_MS} so that it stays below the SDK's request timeout.
   */
  | { readonly kind: 'slow'; readonly ms: number };

export interface ChaosRule {
  /** The action whose success answers the rule corrupts, e.g. `DescribeInstances`; `*` = every action. */
  readonly action: string;
  readonly mutation: ChaosMutation;
  /** Chance per matching answer, 0..1 (default 1). */
  readonly probability?: number;
  /** Fire at most this many times while these options are in force (default: no limit). */
  readonly times?: number;
}

export interface ChaosOptions {
  /** Seed of the chaos PRNG (default 1); independent of the emulator's own seed. */
  readonly seed?: number;
  /** Applied in order; several rules may fire on one answer. Body-level ones replace the body. */
  readonly rules: readonly ChaosRule[];
}

/** One corruption that changed an answer. */
export interface AppliedChaos {
  readonly action: string;
  readonly requestId: string;
  /** Index into `ChaosOptions.rules`. */
  readonly rule: number;
  readonly kind: ChaosMutation['kind'];
  /** What changed, without any value from the answer (values may be secrets). */
  readonly detail: string;
}

/** What the server sends instead of the normal success envelope. */
export interface ChaosAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  /** Real milliseconds to wait before answering. */
  readonly delayMs: number;
}

/** The SDK gives up after `reqTimeout` (30 s in the rotator); chaos delays stay well below. */
export const MAX_CHAOS_DELAY_MS = 10_000;

/** The lists a `hugePage` or `duplicate` without `path` inflates, in this order. */
const LIST_FIELDS = ['InstanceSet', 'ImageSet', 'SecretMetadatas', 'Versions'] as const;

type Json = unknown;
type Container = Record<string, Json> | Json[];

type Segment = { readonly key: string } | { readonly index: number } | { readonly each: boolean };

function parsePath(path: ChaosPath): Segment[] {
  const segments: Segment[] = [];
  for (const part of path.split('.')) {
    const match = /^([^[\]]*)((?:\[(?:\*|\?|\d+)\])*)$/.exec(part);
    if (!match) throw new Error(`chaos: malformed path ${JSON.stringify(path)}`);
    const [, key = '', brackets = ''] = match;
    if (key !== '') segments.push({ key });
    for (const b of brackets.match(/\[(\*|\?|\d+)\]/g) ?? []) {
      const inner = b.slice(1, -1);
      if (inner === '*') segments.push({ each: true });
      else if (inner === '?') segments.push({ each: false });
      else segments.push({ index: Number(inner) });
    }
  }
  if (segments.length === 0) throw new Error(`chaos: empty path ${JSON.stringify(path)}`);
  return segments;
}

const isContainer = (value: Json): value is Container =>
  typeof value === 'object' && value !== null;

/** Every (container, key) the path's last segment names, resolving `[*]` and `[?]`. */
function resolve(
  root: Container,
  segments: readonly Segment[],
  random: Random,
): Array<{ parent: Container; key: string | number }> {
  let parents: Container[] = [root];
  const last = segments[segments.length - 1] as Segment;
  for (const segment of segments.slice(0, -1)) {
    parents = parents
      .flatMap((p) => children(p, segment, random).map((k) => childAt(p, k)))
      .filter(isContainer);
  }
  return parents.flatMap((parent) =>
    children(parent, last, random).map((key) => ({ parent, key })),
  );
}

function childAt(parent: Container, key: string | number): Json {
  return Array.isArray(parent) ? parent[key as number] : parent[key as string];
}

/** The keys of `parent` the segment selects (existing ones only). */
function children(parent: Container, segment: Segment, random: Random): Array<string | number> {
  if ('key' in segment) {
    return !Array.isArray(parent) && Object.hasOwn(parent, segment.key) ? [segment.key] : [];
  }
  if (!Array.isArray(parent) || parent.length === 0) return [];
  if ('index' in segment) return segment.index < parent.length ? [segment.index] : [];
  if (segment.each) return parent.map((_, i) => i);
  return [random.int(0, parent.length - 1)];
}

function retype(value: Json): Json {
  if (typeof value === 'string') {
    const n = Number(value);
    return value.trim() !== '' && Number.isFinite(n) ? n : value.length;
  }
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return String(value);
  if (value === null) return {};
  if (Array.isArray(value)) return Object.fromEntries(value.map((v, i) => [String(i), v]));
  if (typeof value === 'object') return Object.values(value as Record<string, Json>);
  return null;
}

function listPath(response: Record<string, Json>, path: ChaosPath | undefined): Json[] | undefined {
  if (path !== undefined) {
    const segments = parsePath(path);
    let node: Json = response;
    for (const segment of segments) {
      if (!('key' in segment) || !isContainer(node) || Array.isArray(node)) return undefined;
      node = node[segment.key];
    }
    return Array.isArray(node) ? node : undefined;
  }
  for (const field of LIST_FIELDS) {
    const list = response[field];
    if (Array.isArray(list)) return list;
  }
  return undefined;
}

const HTML_PAGE =
  '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>' +
  '<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>';

/**
 * Applies {@link ChaosOptions} to answers. One engine per options object: the emulator builds a
 * new one (with a fresh PRNG and fresh `times` counters) whenever `state.chaos` is replaced.
 */
export class ChaosEngine {
  private readonly random: Random;
  private readonly fired: number[];

  constructor(
    private readonly options: ChaosOptions,
    private readonly log: AppliedChaos[] = [],
  ) {
    this.random = createRandom(options.seed ?? 1);
    this.fired = options.rules.map(() => 0);
    // Fail early on a malformed path rather than at the first matching answer.
    for (const rule of options.rules) {
      const m = rule.mutation;
      if ('path' in m && m.path !== undefined) parsePath(m.path);
    }
  }

  /** Every corruption applied so far, oldest first. */
  applied(): readonly AppliedChaos[] {
    return this.log;
  }

  /**
   * The answer to send instead of the success envelope `{ Response: { ...fields, RequestId } }`,
   * or undefined to send it unchanged. `fields` is never modified.
   */
  corrupt(
    action: string,
    requestId: string,
    fields: Record<string, unknown>,
  ): ChaosAnswer | undefined {
    const matching = this.options.rules
      .map((rule, index) => ({ rule, index }))
      .filter(({ rule }) => rule.action === '*' || rule.action === action);
    if (matching.length === 0) return undefined;

    let response: Record<string, Json> | undefined;
    const working = (): Record<string, Json> => {
      response ??= JSON.parse(JSON.stringify({ ...fields, RequestId: requestId })) as Record<
        string,
        Json
      >;
      return response;
    };
    let delayMs = 0;
    let replaced: { status: number; contentType: string; body: string } | undefined;
    let changed = false;

    for (const { rule, index } of matching) {
      if (rule.times !== undefined && (this.fired[index] ?? 0) >= rule.times) continue;
      if (this.random.next() >= (rule.probability ?? 1)) continue;
      const m = rule.mutation;
      let detail: string | undefined;
      switch (m.kind) {
        case 'drop':
        case 'null':
        case 'retype':
        case 'set':
          detail = this.mutatePath(working(), m);
          break;
        case 'totalCount':
          detail = this.lieAboutTotal(working(), m.mode);
          break;
        case 'hugePage':
          detail = this.inflate(working(), m.size ?? 250, m.path);
          break;
        case 'duplicate':
          detail = this.duplicate(working(), m.path);
          break;
        case 'body':
          if (!replaced) {
            replaced = this.replaceBody(JSON.stringify({ Response: working() }), m.mode);
            detail = m.mode;
          }
          break;
        case 'http':
          if (!replaced) {
            const status = m.status ?? 500;
            replaced = { status, contentType: 'text/html', body: HTML_PAGE };
            detail = `HTTP ${status}`;
          }
          break;
        case 'slow': {
          const ms = Math.max(0, Math.min(MAX_CHAOS_DELAY_MS, Math.round(m.ms)));
          delayMs = Math.max(delayMs, ms);
          detail = `${ms} ms`;
          break;
        }
      }
      if (detail === undefined) continue;
      this.fired[index] = (this.fired[index] ?? 0) + 1;
      this.log.push({ action, requestId, rule: index, kind: m.kind, detail });
      if (m.kind !== 'slow') changed = true;
    }

    if (replaced) return { ...replaced, delayMs };
    if (!changed && delayMs === 0) return undefined;
    const body = changed
      ? JSON.stringify({ Response: working() })
      : JSON.stringify({ Response: { ...fields, RequestId: requestId } });
    return { status: 200, contentType: 'application/json', body, delayMs };
  }

  private mutatePath(
    response: Record<string, Json>,
    m: Extract<ChaosMutation, { path: ChaosPath; kind: 'drop' | 'null' | 'retype' | 'set' }>,
  ): string | undefined {
    const targets = resolve(response, parsePath(m.path), this.random);
    if (targets.length === 0) return undefined;
    // Highest index first, so that dropping several elements of one array keeps indexes valid.
    targets.sort((a, b) =>
      typeof a.key === 'number' && typeof b.key === 'number' ? b.key - a.key : 0,
    );
    for (const { parent, key } of targets) {
      if (Array.isArray(parent)) {
        const i = key as number;
        if (m.kind === 'drop') parent.splice(i, 1);
        else if (m.kind === 'null') parent[i] = null;
        else if (m.kind === 'retype') parent[i] = retype(parent[i]);
        else parent[i] = cloneJson(m.value);
      } else {
        const k = key as string;
        if (m.kind === 'drop') delete parent[k];
        else if (m.kind === 'null') parent[k] = null;
        else if (m.kind === 'retype') parent[k] = retype(parent[k]);
        else parent[k] = cloneJson(m.value);
      }
    }
    return `${m.kind} ${m.path} (${targets.length})`;
  }

  private lieAboutTotal(
    response: Record<string, Json>,
    mode: Extract<ChaosMutation, { kind: 'totalCount' }>['mode'],
  ): string | undefined {
    const truth = response.TotalCount;
    if (typeof truth !== 'number') return undefined;
    let lie: Json;
    switch (mode) {
      case 'high':
        lie = truth + this.random.int(1, 1000);
        break;
      case 'low':
        lie = Math.max(0, truth - this.random.int(1, Math.max(1, truth)));
        break;
      case 'zero':
        lie = 0;
        break;
      case 'negative':
        lie = -this.random.int(1, 1000);
        break;
      case 'huge':
        lie = 2 ** 31;
        break;
      case 'fractional':
        lie = truth + 0.5;
        break;
      case 'string':
        lie = String(truth);
        break;
    }
    response.TotalCount = lie;
    return `TotalCount ${mode}`;
  }

  private inflate(
    response: Record<string, Json>,
    size: number,
    path: ChaosPath | undefined,
  ): string | undefined {
    const list = listPath(response, path);
    if (!list || list.length === 0) return undefined;
    const original = [...list];
    const target = Math.max(list.length, Math.min(10_000, Math.floor(size)));
    for (let i = list.length; i < target; i++) list.push(original[i % original.length]);
    return `list of ${original.length} inflated to ${list.length}`;
  }

  private duplicate(
    response: Record<string, Json>,
    path: ChaosPath | undefined,
  ): string | undefined {
    const list = listPath(response, path);
    if (!list || list.length === 0) return undefined;
    const i = this.random.int(0, list.length - 1);
    list.splice(this.random.int(0, list.length), 0, list[i]);
    return `entry repeated in a list of ${list.length - 1}`;
  }

  private replaceBody(
    real: string,
    mode: Extract<ChaosMutation, { kind: 'body' }>['mode'],
  ): { status: number; contentType: string; body: string } {
    const json = (body: string) => ({ status: 200, contentType: 'application/json', body });
    switch (mode) {
      case 'empty':
        return json('');
      case 'truncated':
        return json(real.slice(0, this.random.int(1, Math.max(1, real.length - 1))));
      case 'junk':
        return json(`${real}\u0000<garbage>`);
      case 'html':
        return { status: 200, contentType: 'text/html', body: HTML_PAGE };
      case 'emptyObject':
        return json('{}');
      case 'nullResponse':
        return json('{"Response":null}');
      case 'arrayResponse':
        return json('{"Response":[]}');
      case 'primitiveResponse':
        return json('{"Response":"OK"}');
    }
  }
}

function cloneJson(value: unknown): Json {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as Json);
}
