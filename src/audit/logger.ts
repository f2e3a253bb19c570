/**
 * The audit/operational logger: one JSON object per line on stdout, which SCF ships to CLS
 * (https://tencentcloud.com/document/product/583/46772; facts §6). Every line passes through the
 * {@link Redactor}, and the logger never throws: a log call must not turn a successful rotation
 * into a failed run, or mask the error being logged.
 *
 * Line shape (`schemaVersion` changes only when a field changes meaning):
 * `{"schemaVersion":1,"time":"2026-11-29T03:00:00.000Z","level":"info","event":"run.started",…base,…fields}`
 *
 * @example
 * const redactor = new Redactor();
 * const logger = createLogger({ redactor, base: { runId } });
 * logger.info('instance.rotated', { instanceId: 'ins-abcd1234', secretName, versionId });
 */
import { REDACTED, type Redactor } from './redact';

export const LOG_SCHEMA_VERSION = 1;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Numeric order for thresholds (as Powertools' LogLevelThreshold). */
const LEVEL_ORDER: Readonly<Record<LogLevel, number>> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
};

/** Keys the logger owns; fields cannot override them (they are dropped from `base` and `fields`). */
export const RESERVED_LOG_KEYS = ['schemaVersion', 'time', 'level', 'event'] as const;
type ReservedKey = (typeof RESERVED_LOG_KEYS)[number];

/** Extra fields of a line. The logger's own keys are excluded at the type level too. */
export type LogFields = Readonly<Record<string, unknown>> & { readonly [K in ReservedKey]?: never };

export interface LoggerOptions {
  readonly redactor: Redactor;
  /** Receives each line: one JSON object, without the trailing newline. Default: stdout, plus "\n". */
  readonly write?: (line: string) => void;
  /** Clock for `time`. Default: `() => new Date()`. */
  readonly now?: () => Date;
  /** Fields on every line, e.g. `{ runId, functionRequestId }`. */
  readonly base?: LogFields;
  /** Lines below this level are dropped. Default `info`. */
  readonly minLevel?: LogLevel;
}

export interface Logger {
  log(level: LogLevel, event: string, fields?: LogFields): void;
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger that adds `base` to every line (on top of this one's base). */
  child(base: LogFields): Logger;
}

const RESERVED = new Set<string>(RESERVED_LOG_KEYS);

export function createLogger(options: LoggerOptions): Logger {
  const { redactor } = options;
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const minLevel = LEVEL_ORDER[options.minLevel ?? 'info'];
  const base = options.base ?? {};

  const log = (level: LogLevel, event: string, fields?: LogFields): void => {
    try {
      if (LEVEL_ORDER[level] < minLevel) return;
      emit(write, serialize(redactor, timestamp(now), level, event, base, fields));
    } catch {
      emit(write, fallbackLine(redactor, level, event));
    }
  };

  return {
    log,
    debug: (event, fields) => log('debug', event, fields),
    info: (event, fields) => log('info', event, fields),
    warn: (event, fields) => log('warn', event, fields),
    error: (event, fields) => log('error', event, fields),
    child: (extra) => createLogger({ ...options, base: { ...base, ...extra } }),
  };
}

function serialize(
  redactor: Redactor,
  time: string,
  level: LogLevel,
  event: string,
  base: LogFields,
  fields: LogFields | undefined,
): string {
  const line: Record<string, unknown> = {
    schemaVersion: LOG_SCHEMA_VERSION,
    time,
    level,
    event: redactor.redactString(event),
  };
  // Redact base and fields as one object so a value shared by both is judged the same way.
  const extra = redactor.redact({ ...base, ...fields });
  if (extra !== null && typeof extra === 'object' && !Array.isArray(extra)) {
    for (const [key, value] of Object.entries(extra)) {
      if (!RESERVED.has(key)) line[key] = value;
    }
  }
  return JSON.stringify(line);
}

/** The last resort when serialising failed: no fields, so nothing unredacted can slip through. */
function fallbackLine(redactor: Redactor, level: LogLevel, event: string): string {
  let safeEvent = REDACTED;
  try {
    safeEvent = redactor.redactString(String(event));
  } catch {
    // keep REDACTED
  }
  let time = '';
  try {
    time = new Date().toISOString();
  } catch {
    // an empty time still parses
  }
  return `${JSON.stringify({
    schemaVersion: LOG_SCHEMA_VERSION,
    time,
    level: LEVEL_ORDER[level] === undefined ? 'error' : level,
    event: safeEvent,
    logError: 'the log fields could not be serialised',
  })}`;
}

function timestamp(now: () => Date): string {
  try {
    const date = now();
    if (!Number.isNaN(date.getTime())) return date.toISOString();
  } catch {
    // a broken clock must not lose the line
  }
  return new Date().toISOString();
}

function emit(write: (line: string) => void, line: string): void {
  try {
    write(line);
  } catch {
    // stdout closed (EPIPE) or a broken sink: there is nowhere left to report it.
  }
}
