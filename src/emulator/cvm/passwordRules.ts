/**
 * The emulator's own password complexity check for `ResetInstancesPassword`.
 *
 * Written independently of the product's policy (src/password) on purpose: two implementations
 * of the same rules catch each other's mistakes. The emulator enforces what satisfies BOTH the
 * legacy API page (the seed: Linux 8–16, Windows 12–16) and today's API text (facts §1.1:
 * Linux 8–30, Windows 12–30, at least 3 of 4 classes, no leading `/`, Windows must not contain
 * the user name, a mixed batch uses the Windows rules). A password the emulator accepts is
 * therefore accepted by every documented version of the real API.
 */

export type OsFamily = 'linux' | 'windows';

/**
 * The special characters both documents allow. The current list also has a backtick (facts §1.1)
 * but the legacy list does not, so the intersection leaves it out; `"`, `\` and space are in
 * neither list (the space in the current Windows list is judged a typo, facts §1.1).
 */
export const ALLOWED_SPECIALS = "()~!@#$%^&*-+=_|{}[]:;'<>,.?/";

export interface PasswordRule {
  readonly family: OsFamily;
  readonly minLength: number;
  readonly maxLength: number;
  /** How many of the four classes (lower, upper, digit, special) must appear. */
  readonly minClasses: number;
  /** Whether the password must not contain the user name (case-insensitive). */
  readonly forbidUserName: boolean;
}

export const LINUX_RULE: PasswordRule = {
  family: 'linux',
  minLength: 8,
  maxLength: 16,
  // Legacy page: 2 classes; current: 3. The stricter wins.
  minClasses: 3,
  forbidUserName: false,
};

export const WINDOWS_RULE: PasswordRule = {
  family: 'windows',
  minLength: 12,
  maxLength: 16,
  minClasses: 3,
  forbidUserName: true,
};

/** "如果实例即包含 Linux 实例又包含 Windows 实例，则密码复杂度限制按照 Windows 实例的限制" (facts §1.1). */
export function ruleForBatch(families: Iterable<OsFamily>): PasswordRule {
  for (const family of families) if (family === 'windows') return WINDOWS_RULE;
  return LINUX_RULE;
}

function classOf(char: string): 'lower' | 'upper' | 'digit' | 'special' | undefined {
  if (char >= 'a' && char <= 'z') return 'lower';
  if (char >= 'A' && char <= 'Z') return 'upper';
  if (char >= '0' && char <= '9') return 'digit';
  if (ALLOWED_SPECIALS.includes(char)) return 'special';
  return undefined;
}

/** A printable description of a rejected character that is safe to put in an error message. */
function describeChar(char: string): string {
  if (char === ' ') return 'a space';
  if (char === '`') return 'a backtick';
  if (char === '"') return 'a double quote';
  if (char === '\\') return 'a backslash';
  const code = char.codePointAt(0) ?? 0;
  return `the character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Why `password` breaks `rule`, or undefined when it complies. The reason never quotes the
 * password (it ends up in an API error message, and from there in logs).
 *
 * `userNames` are the OS users the batch resets; with `rule.forbidUserName` none of them may
 * appear in the password, compared case-insensitively.
 */
export function passwordProblem(
  password: string,
  rule: PasswordRule,
  userNames: readonly string[] = [],
): string | undefined {
  const chars = [...password];
  const label = rule.family === 'windows' ? 'Windows' : 'Linux';
  if (chars.length < rule.minLength || chars.length > rule.maxLength) {
    return `A ${label} password must be ${rule.minLength}-${rule.maxLength} characters long.`;
  }
  if (password.startsWith('/')) return 'The password must not begin with `/`.';
  const classes = new Set<string>();
  for (const char of chars) {
    const kind = classOf(char);
    if (kind === undefined) {
      return `The password contains ${describeChar(char)}, which is not allowed; the allowed special characters are ${ALLOWED_SPECIALS}`;
    }
    classes.add(kind);
  }
  if (classes.size < rule.minClasses) {
    return `The password must combine at least ${rule.minClasses} of: lower-case letters, upper-case letters, digits and the special characters ${ALLOWED_SPECIALS}`;
  }
  if (rule.forbidUserName) {
    const lower = password.toLowerCase();
    for (const user of userNames) {
      if (user.length > 0 && lower.includes(user.toLowerCase())) {
        return `A ${label} password must not contain the user name.`;
      }
    }
  }
  return undefined;
}
