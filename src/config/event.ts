/**
 * The invocation event, validated once at the edge.
 *
 * Two shapes reach the function:
 *
 * - an SCF timer trigger (https://www.tencentcloud.com/document/product/583/9708; facts §6):
 *   `{"Type":"Timer","TriggerName":"…","Time":"2026-11-29T03:00:00Z","Message":"…"}`. `Message` is
 *   the trigger's custom argument (≤ 4 KB); empty or absent means "no overrides", otherwise it must
 *   be a JSON object with the manual keys below. Other envelope keys are ignored, because the
 *   platform owns that shape and may add to it.
 * - a manual invocation (console test, `Invoke` API): an object with only the keys of
 *   {@link ManualOverrides}. Unknown keys are rejected, because a misspelt `dryrun: true` must not
 *   turn into a real rotation. `null`, `undefined` and `{}` are a manual run with no overrides.
 *
 * Problems name the field (`event.instanceIds[2]`, or `Message.dryRun` inside a timer argument) and
 * the rule; an instance id, region or tag key may be quoted (they are identifiers, not secrets).
 */
import { z } from 'zod';
import { EventError } from '../errors';
import {
  INSTANCE_ID_PATTERN,
  PASSWORD_SCOPES,
  type PasswordScope,
  type Problem,
  parseTagString,
  quote,
  regionListProblems,
  type TagMatcher,
  tagListProblems,
  tagsFromRecord,
} from './rules';

/** At most this many explicit instance ids per run. */
export const MAX_EVENT_INSTANCE_IDS = 1000;
/** `reason` length bounds, in characters (code points). */
export const REASON_MAX_LENGTH = 256;

/** The keys a manual event (or a timer's Message) may set; each overrides its ROTATION_* variable. */
export interface ManualOverrides {
  /** Rotate exactly these instances (deduplicated, in first-seen order) instead of selecting by tag. */
  readonly instanceIds?: readonly string[];
  readonly regions?: readonly string[];
  readonly tags?: readonly TagMatcher[];
  readonly forceStop?: boolean;
  readonly dryRun?: boolean;
  readonly passwordScope?: PasswordScope;
  /** Free text recorded in the audit log (who asked and why). */
  readonly reason?: string;
}

export const MANUAL_EVENT_KEYS = [
  'instanceIds',
  'regions',
  'tags',
  'forceStop',
  'dryRun',
  'passwordScope',
  'reason',
] as const satisfies readonly (keyof ManualOverrides)[];

export interface RunRequest extends ManualOverrides {
  readonly trigger: 'timer' | 'manual';
  /** The timer trigger's name (timer runs only). */
  readonly triggerName?: string;
  /** The timer's scheduled time, ISO 8601 UTC as SCF sends it (timer runs only). */
  readonly time?: string;
}

const TimerEnvelope = z.looseObject({
  Type: z.literal('Timer'),
  TriggerName: z.string({ error: 'must be a string' }).optional(),
  Time: z.string({ error: 'must be a string' }).optional(),
  Message: z.string({ error: 'must be a string (the trigger argument)' }).nullish(),
});

/** Printable: no control characters (which includes line breaks, so one reason stays one log field). */
const PRINTABLE = /^[^\p{Cc}\p{Zl}\p{Zp}]*$/u;

const ManualSchema = z.strictObject(
  {
    instanceIds: z
      .array(
        z.string({ error: 'must be a string' }).regex(INSTANCE_ID_PATTERN, {
          error: (issue) =>
            `${quote(String(issue.input))} is not a CVM instance id (ins- followed by 8 lowercase letters or digits)`,
        }),
        { error: 'must be an array of instance id strings' },
      )
      .min(1, { error: 'must name at least one instance (omit it to select by tag)' })
      .max(MAX_EVENT_INSTANCE_IDS, {
        error: `must name at most ${MAX_EVENT_INSTANCE_IDS} instances`,
      })
      .transform((ids) => [...new Set(ids)])
      .optional(),
    regions: z
      .array(z.string({ error: 'must be a string' }), {
        error: 'must be an array of region id strings',
      })
      .superRefine((regions, ctx) => addProblems(ctx, regionListProblems(regions)))
      .optional(),
    tags: z
      .union(
        [
          z.string(),
          z.record(z.string(), z.string({ error: 'tag values must be strings ("" = any value)' })),
        ],
        { error: 'must be a "k=v,k2" string or an object of tag key to value ("" = any value)' },
      )
      .transform((input, ctx): TagMatcher[] => {
        // The same rules as ROTATION_TAGS, whichever form the tags come in.
        const tags = typeof input === 'string' ? parseTagString(input) : fromRecord(input);
        addProblems(ctx, tags.problems);
        return tags.tags;
      })
      .optional(),
    forceStop: z.boolean({ error: 'must be true or false' }).optional(),
    dryRun: z.boolean({ error: 'must be true or false' }).optional(),
    passwordScope: z
      .enum(PASSWORD_SCOPES as [PasswordScope, ...PasswordScope[]], {
        error: `must be one of ${PASSWORD_SCOPES.map((s) => `"${s}"`).join(', ')}`,
      })
      .optional(),
    reason: z
      .string({ error: 'must be a string' })
      .refine((reason) => reason.trim().length > 0 && [...reason].length <= REASON_MAX_LENGTH, {
        error: `must be 1 to ${REASON_MAX_LENGTH} characters and not blank`,
      })
      .refine((reason) => PRINTABLE.test(reason), {
        error: 'must not contain control characters or line breaks',
      })
      .optional(),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => quote(k)).join(', ')}; allowed keys: ${MANUAL_EVENT_KEYS.join(', ')}`
        : 'must be a JSON object',
  },
);

function fromRecord(record: Record<string, string>): { tags: TagMatcher[]; problems: Problem[] } {
  const tags = tagsFromRecord(record);
  return { tags, problems: tagListProblems(tags) };
}

/** Shared-rule problems become zod issues at the item's path (`event.regions[1]`). */
function addProblems(
  ctx: { addIssue(issue: { code: 'custom'; message: string; path?: PropertyKey[] }): void },
  problems: readonly Problem[],
): void {
  for (const { index, message } of problems) {
    ctx.addIssue({ code: 'custom', message, ...(index === undefined ? {} : { path: [index] }) });
  }
}

/**
 * Validates the invocation event.
 *
 * @throws EventError listing every problem found.
 *
 * @example
 * parseEvent({ Type: 'Timer', TriggerName: 'nightly', Time: '2026-11-29T03:00:00Z', Message: '' });
 * // → { trigger: 'timer', triggerName: 'nightly', time: '2026-11-29T03:00:00Z' }
 * parseEvent({ instanceIds: ['ins-abcd1234'], dryRun: true, reason: 'CHG-1234' });
 * // → { trigger: 'manual', instanceIds: ['ins-abcd1234'], dryRun: true, reason: 'CHG-1234' }
 */
export function parseEvent(event: unknown): RunRequest {
  if (event === null || event === undefined) return { trigger: 'manual' };
  if (!isPlainObject(event)) {
    throw new EventError([
      'event: must be a JSON object (a timer trigger event or manual overrides)',
    ]);
  }
  if (event.Type === 'Timer') return parseTimerEvent(event);
  return { trigger: 'manual', ...parseOverrides(event, 'event') };
}

function parseTimerEvent(event: Record<string, unknown>): RunRequest {
  const envelope = TimerEnvelope.safeParse(event);
  const problems = envelope.success ? [] : issuesToProblems(envelope.error.issues, 'event');
  // Unknown envelope keys are ignored, but an override next to Type would be ignored too and,
  // say, `dryRun: true` silently lost: overrides of a timer run belong in its Message.
  const misplaced = MANUAL_EVENT_KEYS.filter((key) => key in event);
  if (misplaced.length > 0) {
    problems.push(
      `event: ${misplaced.map((k) => quote(k)).join(', ')} must go inside Message (the timer trigger argument) as JSON, not next to Type`,
    );
  }
  if (!envelope.success || problems.length > 0) throw new EventError(problems);
  const { TriggerName, Time, Message } = envelope.data;
  const base: RunRequest = {
    trigger: 'timer',
    ...(TriggerName === undefined ? {} : { triggerName: TriggerName }),
    ...(Time === undefined ? {} : { time: Time }),
  };
  if (Message === undefined || Message === null || Message.trim() === '') return base;

  let argument: unknown;
  try {
    argument = JSON.parse(Message);
  } catch {
    // The argument is not quoted back: it is free text typed into the trigger configuration.
    throw new EventError([
      'Message: the timer trigger argument must be empty or a JSON object of overrides, and is not valid JSON',
    ]);
  }
  if (!isPlainObject(argument)) {
    throw new EventError([
      'Message: the timer trigger argument must be a JSON object of overrides',
    ]);
  }
  return { ...base, ...parseOverrides(argument, 'Message') };
}

function parseOverrides(input: Record<string, unknown>, where: string): ManualOverrides {
  const parsed = ManualSchema.safeParse(input);
  if (!parsed.success) throw new EventError(issuesToProblems(parsed.error.issues, where));
  // Drop keys whose value is undefined so that spreading over env defaults cannot erase them.
  const overrides: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed.data)) {
    if (value !== undefined) overrides[key] = value;
  }
  return overrides as ManualOverrides;
}

function issuesToProblems(issues: readonly z.core.$ZodIssue[], where: string): string[] {
  return issues.map((issue) => `${formatPath(where, issue.path)}: ${issue.message}`);
}

function formatPath(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : `${acc}.${String(part)}`),
    root,
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
