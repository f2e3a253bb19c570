/**
 * Generates CVM administrator passwords that satisfy the policy in ./policy.ts.
 *
 * generate-password (1.7.1) draws every character with `crypto.randomBytes` (node:crypto, batches of
 * 256 bytes) and maps a byte to the pool by rejection (`rand >= 256 - 256 % max` is redrawn), so
 * each character is uniform over the pool with no modulo bias: see `getNextRandomValue` and
 * `randomNumber` in node_modules/generate-password/src/generate.js. It never uses Math.random.
 *
 * Two of its options are deliberately not used:
 * - the default `symbols: true` pool contains `"` and backtick, which the CVM rule rejects (`"`) or
 *   the legacy rule lacks (backtick); we pass `symbols: SPECIAL_CHARACTERS` instead;
 * - `strict: true` builds `new RegExp('[' + symbols + ']')` from a custom symbol string, which
 *   breaks on `]`, `^`, `-` and `\` (our list has the first three), so it would either throw or test
 *   the wrong set; we keep `strict: false` and do our own checks.
 *
 * Instead we sample uniformly from the full pool and reject until the password passes the policy
 * AND contains all four classes (stricter than the policy's 3 of 4, so the password also meets
 * every rule Tencent has published). Rejection sampling keeps the result uniform over all
 * acceptable passwords. At length 12 about 72% of draws pass (about 55% for a one-letter Windows
 * user name, the worst case), so the bound below is never reached by chance: 1000 consecutive
 * failures have a probability below 10^-300.
 */
import { generate } from 'generate-password';
import { PasswordPolicyError } from '../errors';
import {
  CHARACTER_CLASSES,
  checkPassword,
  MAX_PASSWORD_LENGTH,
  type OsFamily,
  PASSWORD_POLICIES,
  SPECIAL_CHARACTERS,
} from './policy';

/** The default and the longest length both published rules accept. */
export const DEFAULT_PASSWORD_LENGTH = MAX_PASSWORD_LENGTH;

/** Draws before giving up; reaching it means a bug, not bad luck. */
export const MAX_GENERATION_ATTEMPTS = 1000;

export interface GeneratePasswordOptions {
  readonly os: OsFamily;
  /** The account the password is for; a Windows password must not contain it (see policy.ts). */
  readonly userName?: string;
  /** Characters; must lie within the OS's bounds (Linux 8–16, Windows 12–16). Default 16. */
  readonly length?: number;
}

/**
 * Returns a fresh random password for `os` that satisfies {@link checkPassword} and contains a
 * lowercase letter, an uppercase letter, a digit and a special character.
 *
 * @throws PasswordPolicyError `PasswordPolicyViolation` when `length` is outside the OS's bounds;
 *   `PasswordGenerationFailed` if no compliant password was drawn in {@link MAX_GENERATION_ATTEMPTS}.
 *
 * @example
 * const password = generatePassword({ os: 'windows', userName: 'Administrator', length: 16 });
 */
export function generatePassword(options: GeneratePasswordOptions): string {
  const { os, userName, length = DEFAULT_PASSWORD_LENGTH } = options;
  const policy = PASSWORD_POLICIES[os];
  if (!Number.isInteger(length) || length < policy.minLength || length > policy.maxLength) {
    throw new PasswordPolicyError('PasswordPolicyViolation', [
      `a ${os} password must be ${policy.minLength} to ${policy.maxLength} characters long (asked for ${length})`,
    ]);
  }
  const context = userName === undefined ? { os } : { os, userName };

  for (let attempt = 0; attempt < MAX_GENERATION_ATTEMPTS; attempt++) {
    const candidate = generate({
      length,
      lowercase: true,
      uppercase: true,
      numbers: true,
      symbols: SPECIAL_CHARACTERS,
      excludeSimilarCharacters: false,
      strict: false,
    });
    if (hasAllClasses(candidate) && checkPassword(candidate, context).length === 0) {
      return candidate;
    }
  }
  throw new PasswordPolicyError('PasswordGenerationFailed', [
    `no ${os} password of length ${length} passed the policy in ${MAX_GENERATION_ATTEMPTS} attempts`,
  ]);
}

function hasAllClasses(password: string): boolean {
  const chars = [...password];
  return CHARACTER_CLASSES.every((cls) => chars.some(cls.test));
}
