/**
 * The CVM administrator-password policy the rotator enforces.
 *
 * Tencent has published two rules for `ResetInstancesPassword`
 * (https://cloud.tencent.com/document/api/213/15736; facts/tencent-cloud-api.md §1.1):
 *
 * - the original (legacy page https://cloud.tencent.com/document/product/213/9397, quoted in
 *   shared/seeds/000_…): Linux 8–16 chars with at least 2 of [a-zA-Z], [0-9], specials; Windows
 *   12–16 chars with at least 3 of lower, upper, digit, special; no leading `/`;
 * - today's: Linux 8–30, Windows 12–30, at least 3 of the 4 classes, no leading `/`, a Windows
 *   password must not contain the user name, specials now include the backtick.
 *
 * A password is only safe to set if BOTH rules accept it (regions and API versions may lag each
 * other, and a rejected reset is a failed rotation), so this policy is their intersection:
 * Linux 8–16 / Windows 12–16 characters, at least 3 of the 4 classes, only the 29 specials both
 * lists share (no backtick, which the legacy list lacks; never `"`, `\` or space, which neither
 * allows), no leading `/`, and for Windows no user name (case-insensitive).
 *
 * Violations are returned as sentences that never quote the password.
 */
import { PasswordPolicyError } from '../errors';

/** The operating-system families whose rules differ. */
export type OsFamily = 'linux' | 'windows';

/**
 * The special characters both the legacy and the current rule allow, in the legacy list's order:
 * `( ) ~ ! @ # $ % ^ & * - + = _ | { } [ ] : ; ' < > , . ? /`. Excluded on purpose: backtick
 * (missing from the legacy list), `"`, `\` and space (never allowed; generate-password's default
 * symbol set contains `"`, which is why the generator passes this list explicitly).
 */
export const SPECIAL_CHARACTERS = "()~!@#$%^&*-+=_|{}[]:;'<>,.?/";

export const LINUX_MIN_LENGTH = 8;
export const WINDOWS_MIN_LENGTH = 12;
/** Both rules' common maximum (the legacy rule's 16; today's API allows 30). */
export const MAX_PASSWORD_LENGTH = 16;
/** At least this many of the 4 character classes (lower, upper, digit, special). */
export const MIN_CHARACTER_CLASSES = 3;

/**
 * The account `ResetInstancesPassword` changes when no `UserName` is given on Windows
 * (https://cloud.tencent.com/document/api/213/15736). Used for the "no user name" rule when the
 * caller does not name the account.
 */
export const DEFAULT_WINDOWS_USER_NAME = 'Administrator';

/** One OS family's rule, as data. */
export interface PasswordPolicy {
  readonly os: OsFamily;
  readonly minLength: number;
  readonly maxLength: number;
  readonly minCharacterClasses: number;
  /** Windows: the password must not contain the user name, compared case-insensitively. */
  readonly forbidsUserName: boolean;
}

export const PASSWORD_POLICIES: Readonly<Record<OsFamily, PasswordPolicy>> = {
  linux: {
    os: 'linux',
    minLength: LINUX_MIN_LENGTH,
    maxLength: MAX_PASSWORD_LENGTH,
    minCharacterClasses: MIN_CHARACTER_CLASSES,
    forbidsUserName: false,
  },
  windows: {
    os: 'windows',
    minLength: WINDOWS_MIN_LENGTH,
    maxLength: MAX_PASSWORD_LENGTH,
    minCharacterClasses: MIN_CHARACTER_CLASSES,
    forbidsUserName: true,
  },
};

/**
 * The rule for one `ResetInstancesPassword` batch. Every instance in a batch gets the same
 * password, and "if both Linux and Windows instances are involved, the password complexity is
 * subject to the rule for Windows instances" (facts §1.1). The rotator groups by OS and never
 * mixes; this exists so that a caller that does cannot pick the weaker rule.
 *
 * @throws PasswordPolicyError when the batch is empty (no instance, no rule).
 */
export function policyForBatch(osFamilies: Iterable<OsFamily>): PasswordPolicy {
  let sawAny = false;
  for (const os of osFamilies) {
    if (os === 'windows') return PASSWORD_POLICIES.windows;
    sawAny = true;
  }
  if (!sawAny) {
    throw new PasswordPolicyError('PasswordPolicyViolation', [
      'a batch needs at least one instance to choose a password rule',
    ]);
  }
  return PASSWORD_POLICIES.linux;
}

export interface PasswordContext {
  readonly os: OsFamily;
  /**
   * The account whose password is set. Only Windows uses it (the password must not contain it);
   * when absent or blank, Windows assumes {@link DEFAULT_WINDOWS_USER_NAME}.
   */
  readonly userName?: string;
}

/** The four character classes, with the test each uses. */
export const CHARACTER_CLASSES = [
  { name: 'lowercase letters (a-z)', test: (c: string) => c >= 'a' && c <= 'z' },
  { name: 'uppercase letters (A-Z)', test: (c: string) => c >= 'A' && c <= 'Z' },
  { name: 'digits (0-9)', test: (c: string) => c >= '0' && c <= '9' },
  { name: `special characters (${SPECIAL_CHARACTERS})`, test: (c: string) => isSpecial(c) },
] as const;

function isSpecial(c: string): boolean {
  return c.length === 1 && SPECIAL_CHARACTERS.includes(c);
}

/** How many of the 4 character classes occur in `password`. */
export function countCharacterClasses(password: string): number {
  const chars = [...password];
  return CHARACTER_CLASSES.filter((cls) => chars.some(cls.test)).length;
}

/** The user name the Windows rule checks against, or undefined when the rule does not apply. */
export function effectiveUserName(context: PasswordContext): string | undefined {
  if (!PASSWORD_POLICIES[context.os].forbidsUserName) return undefined;
  const name = context.userName?.trim();
  return name ? name : DEFAULT_WINDOWS_USER_NAME;
}

/**
 * Checks `password` against the policy for `context.os`.
 *
 * @returns the violations as human-readable sentences (empty when the password is acceptable).
 *   They describe the rule and, for a forbidden character, its position, never the password.
 */
export function checkPassword(password: string, context: PasswordContext): string[] {
  const policy = PASSWORD_POLICIES[context.os];
  const violations: string[] = [];
  // Count code points, not UTF-16 units: a non-ASCII character is one forbidden character.
  const chars = [...password];

  if (chars.length < policy.minLength || chars.length > policy.maxLength) {
    violations.push(
      `a ${policy.os} password must be ${policy.minLength} to ${policy.maxLength} characters long (got ${chars.length})`,
    );
  }

  const classes = countCharacterClasses(password);
  if (classes < policy.minCharacterClasses) {
    violations.push(
      `a password must contain at least ${policy.minCharacterClasses} of: ${CHARACTER_CLASSES.map((c) => c.name).join(', ')} (got ${classes})`,
    );
  }

  const forbidden = chars
    .map((c, index) => ({ c, index }))
    .filter(({ c }) => !CHARACTER_CLASSES.some((cls) => cls.test(c)))
    .map(({ index }) => index + 1);
  if (forbidden.length > 0) {
    violations.push(
      `a password may only contain a-z, A-Z, 0-9 and ${SPECIAL_CHARACTERS} (no backtick, double quote, backslash, space or other characters); found a forbidden character at position ${forbidden.join(', ')}`,
    );
  }

  if (password.startsWith('/')) {
    violations.push('a password must not begin with "/"');
  }

  const userName = effectiveUserName(context);
  if (userName !== undefined && password.toLowerCase().includes(userName.toLowerCase())) {
    violations.push('a Windows password must not contain the user name (case-insensitive)');
  }

  return violations;
}

/**
 * Like {@link checkPassword}, but throws.
 *
 * @throws PasswordPolicyError (`PasswordPolicyViolation`) listing every violation.
 */
export function assertPassword(password: string, context: PasswordContext): void {
  const violations = checkPassword(password, context);
  if (violations.length > 0) {
    throw new PasswordPolicyError('PasswordPolicyViolation', violations);
  }
}
