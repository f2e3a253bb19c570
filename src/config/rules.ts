/**
 * Validation rules shared by the environment (env.ts) and the event (event.ts), so that a region or
 * a tag list is judged the same way wherever it comes from.
 */

/** `group`: one password per ResetInstancesPassword batch; `instance`: one password per instance. */
export type PasswordScope = 'group' | 'instance';
export const PASSWORD_SCOPES: readonly PasswordScope[] = ['group', 'instance'];

/** Matches an instance's tag: `value` undefined means "has the tag key, with any value". */
export interface TagMatcher {
  readonly key: string;
  readonly value?: string;
}

/**
 * Tencent region ids look like `ap-guangzhou`, `na-siliconvalley`, `ap-shanghai-fsi`,
 * `eu-frankfurt` (https://www.tencentcloud.com/document/api/213/15692).
 */
export const REGION_PATTERN = /^[a-z]{2,}-[a-z]+(-[a-z0-9]+)*$/;

/**
 * `ins-` followed by 8 lowercase letters or digits: the format `InvalidParameterValue.InstanceIdMalformed`
 * describes ("类似ins-xxxxxxxx，字母x代表小写字符或数字"; facts/tencent-cloud-api.md §2.5).
 */
export const INSTANCE_ID_PATTERN = /^ins-[a-z0-9]{8}$/;

/**
 * DescribeInstances accepts at most 10 `Filters` (https://cloud.tencent.com/document/api/213/15728;
 * facts §2.1) and each tag becomes one `tag:<key>` (or `tag-key`) filter, all ANDed.
 */
export const MAX_TAGS = 10;

/** Quote an identifier (region, tag key, instance id) for a message, escaped and bounded. */
export function quote(value: string, max = 64): string {
  const shown = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(shown);
}

/**
 * One broken rule. The caller adds where it happened (a variable name or an event path); `index`
 * points into a list when the problem concerns one item.
 */
export interface Problem {
  readonly index?: number;
  readonly message: string;
}

/** Formats problems for an environment variable: `ROTATION_REGIONS item 2: …`. */
export function formatForVariable(name: string, problems: readonly Problem[]): string[] {
  return problems.map(
    (p) => `${name}${p.index === undefined ? '' : ` item ${p.index + 1}`}: ${p.message}`,
  );
}

export function regionProblem(region: string): Problem | undefined {
  if (region === '') return { message: 'is empty' };
  return REGION_PATTERN.test(region)
    ? undefined
    : { message: `${quote(region)} is not a Tencent region id (like "ap-guangzhou")` };
}

/** Validates a region list: every id well-formed, no duplicates, at least one. */
export function regionListProblems(regions: readonly string[]): Problem[] {
  const problems: Problem[] = [];
  if (regions.length === 0) problems.push({ message: 'must name at least one region' });
  const seen = new Set<string>();
  regions.forEach((region, index) => {
    const problem = regionProblem(region);
    if (problem) problems.push({ index, message: problem.message });
    if (seen.has(region)) problems.push({ index, message: `duplicate region ${quote(region)}` });
    seen.add(region);
  });
  return problems;
}

/** Splits `a, b ,c` into trimmed items; empty items are kept so that they can be reported. */
export function splitList(text: string): string[] {
  return text.split(',').map((item) => item.trim());
}

/**
 * Parses the `ROTATION_TAGS` syntax: `k=v[,k2=v2…]`, all of which must match.
 *
 * - A bare `k` means "has tag key k, any value".
 * - Spaces around keys, values and commas are trimmed.
 * - The value is everything after the FIRST `=`, so a value may contain `=` (Tencent tag values
 *   may); a key cannot. A value cannot contain `,`: use the event's object form for that.
 * - `k=` (an empty value) is rejected rather than read as a bare key: silently widening "k is
 *   empty" to "k has any value" would rotate more instances than asked for.
 */
export function parseTagString(text: string): { tags: TagMatcher[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const tags: TagMatcher[] = [];
  splitList(text).forEach((entry, index) => {
    const at = `entry ${index + 1}`;
    if (entry === '') {
      problems.push({ message: `${at} is empty (write k=v or k, separated by commas)` });
      return;
    }
    const eq = entry.indexOf('=');
    if (eq === -1) {
      tags.push({ key: entry });
      return;
    }
    const key = entry.slice(0, eq).trim();
    const value = entry.slice(eq + 1).trim();
    if (value === '') {
      problems.push({
        message: `${at} has an empty value; write the bare key to match any value, or give a value`,
      });
      return;
    }
    tags.push({ key, value });
  });
  // Entries already reported as empty are not reported again as "no tags at all".
  const listProblems = problems.length > 0 && tags.length === 0 ? [] : tagListProblems(tags);
  return { tags, problems: [...problems, ...listProblems] };
}

/** Converts the event's object form `{ key: value }` ('' = bare key) into matchers. */
export function tagsFromRecord(record: Readonly<Record<string, string>>): TagMatcher[] {
  return Object.entries(record).map(([rawKey, rawValue]) => {
    const key = rawKey.trim();
    const value = rawValue.trim();
    return value === '' ? { key } : { key, value };
  });
}

/**
 * Rules every tag list obeys: at least one tag, at most {@link MAX_TAGS}, no empty or duplicate
 * keys, keys of at most {@link MAX_TAG_KEY_LENGTH} characters.
 */
export function tagListProblems(tags: readonly TagMatcher[]): Problem[] {
  const problems: Problem[] = [];
  if (tags.length === 0) problems.push({ message: 'must name at least one tag' });
  if (tags.length > MAX_TAGS) {
    problems.push({
      message: `at most ${MAX_TAGS} tags (DescribeInstances accepts 10 filters), got ${tags.length}`,
    });
  }
  const seen = new Set<string>();
  for (const tag of tags) {
    problems.push(...tagKeyProblems(tag.key));
    if (tag.key !== '' && seen.has(tag.key)) {
      problems.push({ message: `duplicate tag key ${quote(tag.key)}` });
    }
    seen.add(tag.key);
  }
  return problems;
}

/** Tencent tag keys are short; a longer one is a mistake (e.g. a pasted value). */
export const MAX_TAG_KEY_LENGTH = 255;

export function tagKeyProblems(key: string): Problem[] {
  if (key === '') return [{ message: 'a tag key is empty' }];
  if (key.length > MAX_TAG_KEY_LENGTH) {
    return [{ message: `tag key ${quote(key)} is longer than ${MAX_TAG_KEY_LENGTH} characters` }];
  }
  return [];
}
