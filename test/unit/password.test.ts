import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isPasswordPolicyError, PasswordPolicyError } from '../../src/errors';
import { DEFAULT_PASSWORD_LENGTH, generatePassword } from '../../src/password/generate';
import {
  assertPassword,
  checkPassword,
  DEFAULT_WINDOWS_USER_NAME,
  LINUX_MIN_LENGTH,
  MAX_PASSWORD_LENGTH,
  type OsFamily,
  PASSWORD_POLICIES,
  policyForBatch,
  SPECIAL_CHARACTERS,
  WINDOWS_MIN_LENGTH,
} from '../../src/password/policy';

// ---------------------------------------------------------------------------------------------
// Oracles, written independently of src/password/policy.ts: plain regexes transcribed from the
// two published rules (facts/tencent-cloud-api.md §1.1 and shared/seeds/000_e7f51a44ad4af1e4.txt).
// ---------------------------------------------------------------------------------------------

/** Today's rule: 30 specials, backtick included. */
const TODAY_ONLY_ALLOWED = /^[a-zA-Z0-9()`~!@#$%^&*\-+=_|{}[\]:;'<>,.?/]+$/;
const TODAY_SPECIAL = /[()`~!@#$%^&*\-+=_|{}[\]:;'<>,.?/]/;
/** The seed's rule: the same list without the backtick. */
const SEED_ONLY_ALLOWED = /^[a-zA-Z0-9()~!@#$%^&*\-+=_|{}[\]:;'<>,.?/]+$/;
const SEED_SPECIAL = /[()~!@#$%^&*\-+=_|{}[\]:;'<>,.?/]/;
const LOWER = /[a-z]/;
const UPPER = /[A-Z]/;
const DIGIT = /[0-9]/;
const LETTER = /[a-zA-Z]/;

const count = (password: string, classes: RegExp[]) =>
  classes.filter((re) => re.test(password)).length;

function satisfiesTodaysRule(password: string, os: OsFamily, userName: string): boolean {
  const [min, max] = os === 'linux' ? [8, 30] : [12, 30];
  return (
    password.length >= min &&
    password.length <= max &&
    TODAY_ONLY_ALLOWED.test(password) &&
    count(password, [LOWER, UPPER, DIGIT, TODAY_SPECIAL]) >= 3 &&
    !password.startsWith('/') &&
    (os === 'linux' || !password.toLowerCase().includes(userName.toLowerCase()))
  );
}

function satisfiesSeedRule(password: string, os: OsFamily): boolean {
  if (!SEED_ONLY_ALLOWED.test(password) || password.startsWith('/')) return false;
  if (os === 'linux') {
    return (
      password.length >= 8 &&
      password.length <= 16 &&
      count(password, [LETTER, DIGIT, SEED_SPECIAL]) >= 2
    );
  }
  return (
    password.length >= 12 &&
    password.length <= 16 &&
    count(password, [LOWER, UPPER, DIGIT, SEED_SPECIAL]) >= 3
  );
}

const hasAllFourClasses = (password: string) =>
  count(password, [LOWER, UPPER, DIGIT, SEED_SPECIAL]) === 4;

describe('Oracles (sanity: they must be able to fail)', () => {
  it.each([
    ['Abcdefg1`', 'linux', true, false], // backtick: today yes, seed no
    ['abcdefgh12', 'linux', false, true], // 2 classes: seed's Linux rule yes, today no
    ['Abcdefgh1!Abcdefgh', 'linux', true, false], // 18 chars: today yes, seed no
    ['/Abcdefg1!', 'linux', false, false],
    ['Abcdefg1"', 'linux', false, false],
    ['Abcdefgh1!xy', 'windows', true, true],
    ['Abcdefg1!xy', 'windows', false, false], // 11 chars
    ['Administrator1!', 'windows', false, true], // contains the user name: only today's rule says so
  ] as const)('%s on %s: today %s, seed %s', (password, os, today, seed) => {
    expect(satisfiesTodaysRule(password, os, 'Administrator')).toBe(today);
    expect(satisfiesSeedRule(password, os)).toBe(seed);
  });
});

describe('SPECIAL_CHARACTERS', () => {
  it('is exactly the 29 specials both rules share: the seed list, no backtick, no " \\ or space', () => {
    // Prepare: the seed's list as printed (with its duplicate ~ and &#124; for |).
    const seedList = "( ) ~ ~ ! @ # $ % ^ & * - + = _ | { } [ ] : ; ' < > , . ? /".split(' ');
    // Assess
    expect(new Set(SPECIAL_CHARACTERS).size).toBe(SPECIAL_CHARACTERS.length);
    expect([...SPECIAL_CHARACTERS].sort()).toEqual([...new Set(seedList)].sort());
    expect(SPECIAL_CHARACTERS).toHaveLength(29);
    for (const banned of ['`', '"', '\\', ' ']) expect(SPECIAL_CHARACTERS).not.toContain(banned);
  });
});

describe('Function: checkPassword', () => {
  const linux = { os: 'linux' } as const;
  const windows = { os: 'windows', userName: 'Administrator' } as const;

  it.each([
    ['linux minimum length', 'Abcdef1!', linux],
    ['linux maximum length', 'Abcdefgh1!Abcdef', linux],
    ['windows minimum length', 'Abcdefgh1!xy', windows],
    ['windows maximum length', 'Abcdefgh1!Abcdef', windows],
    ['three classes without specials', 'Abcdefgh1234', windows],
    ['three classes without digits', 'Abcdefgh!@#$', windows],
    ['three classes without uppercase', 'abcdefgh1!23', windows],
    ['three classes without lowercase', 'ABCDEFGH1!23', windows],
    ['a "/" that is not first', 'Abc/def1gh!2', windows],
  ])('accepts %s', (_name, password, context) => {
    expect(checkPassword(password, context)).toEqual([]);
  });

  it.each([...SPECIAL_CHARACTERS].map((c) => [c]))(
    'accepts the special character %s',
    (special) => {
      expect(checkPassword(`Abcdefg1${special}`, linux)).toEqual([]);
    },
  );

  it.each([
    ['linux too short (7)', 'Abcde1!', linux, /8 to 16 characters/],
    ['linux too long (17)', 'Abcdefgh1!Abcdefg', linux, /8 to 16 characters/],
    [
      'linux 30 characters (today allows it, the seed does not)',
      'Abcdefgh1!'.repeat(3),
      linux,
      /8 to 16/,
    ],
    ['windows too short (11)', 'Abcdefgh1!x', windows, /12 to 16 characters/],
    ['windows too long (17)', 'Abcdefgh1!Abcdefg', windows, /12 to 16 characters/],
    ['two classes only', 'abcdefgh1234', linux, /at least 3 of/],
    ['one class only', 'abcdefghijkl', windows, /at least 3 of/],
    ['a backtick', 'Abcdefg1`', linux, /forbidden character at position 9/],
    ['a double quote', 'Abcdefg1"', linux, /forbidden character/],
    ['a backslash', 'Abcdefg1\\', linux, /forbidden character/],
    ['a space', 'Abcd efg1!', linux, /forbidden character at position 5/],
    ['a tab', 'Abcd\tefg1!', linux, /forbidden character/],
    ['a non-ASCII letter', 'Abcdéfg1!', linux, /forbidden character/],
    ['an emoji', 'Abcdefg1!😀', linux, /forbidden character/],
    ['a leading "/"', '/Abcdefg1!', linux, /must not begin with "\/"/],
    ['the user name', 'xAdministrator1!', windows, /user name/],
    ['the user name in another case', 'x1!aDMINISTRATOR', windows, /user name/],
  ])('rejects %s', (_name, password, context, message) => {
    const violations = checkPassword(password, context);
    expect(violations.join('\n')).toMatch(message);
  });

  it('checks a custom Windows user name case-insensitively', () => {
    expect(checkPassword('Abcdefgh1!Ops', { os: 'windows', userName: 'ops' })).toHaveLength(1);
    expect(checkPassword('Abcdefgh1!Ops', { os: 'windows', userName: 'devops' })).toEqual([]);
  });

  it('assumes Administrator for Windows when no user name is given', () => {
    expect(DEFAULT_WINDOWS_USER_NAME).toBe('Administrator');
    expect(checkPassword('1!administrator', { os: 'windows' })).toEqual([
      'a Windows password must not contain the user name (case-insensitive)',
    ]);
    expect(checkPassword('1!administrator', { os: 'windows', userName: '  ' })).toHaveLength(1);
  });

  it('does not apply the user-name rule to Linux', () => {
    expect(checkPassword('rootRoot1!', { os: 'linux', userName: 'root' })).toEqual([]);
  });

  it('reports every violation at once, and never the password itself', () => {
    // Prepare
    const password = '/ab"c';
    // Act
    const violations = checkPassword(password, { os: 'windows', userName: 'ab' });
    // Assess: length, classes, forbidden character, leading slash, user name.
    expect(violations).toHaveLength(5);
    for (const violation of violations) expect(violation).not.toContain(password);
  });
});

describe('Function: assertPassword', () => {
  it('throws a PasswordPolicyError that does not contain the password', () => {
    const password = 'weakpassword';
    const error = (() => {
      try {
        assertPassword(password, { os: 'linux' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(PasswordPolicyError);
    expect(isPasswordPolicyError(error)).toBe(true);
    expect((error as PasswordPolicyError).code).toBe('PasswordPolicyViolation');
    expect((error as PasswordPolicyError).violations).toHaveLength(1);
    expect((error as Error).message).not.toContain(password);
  });

  it('returns quietly for a good password', () => {
    expect(() => assertPassword('Abcdefg1!', { os: 'linux' })).not.toThrow();
  });
});

describe('Function: policyForBatch', () => {
  it('uses the Windows rule as soon as one Windows instance is in the batch', () => {
    expect(policyForBatch(['linux', 'windows', 'linux'])).toBe(PASSWORD_POLICIES.windows);
    expect(policyForBatch(['linux', 'linux'])).toBe(PASSWORD_POLICIES.linux);
    expect(policyForBatch(new Set<OsFamily>(['windows']))).toBe(PASSWORD_POLICIES.windows);
  });

  it('refuses an empty batch', () => {
    expect(() => policyForBatch([])).toThrow(PasswordPolicyError);
  });

  it('exports the bounds as constants', () => {
    expect([LINUX_MIN_LENGTH, WINDOWS_MIN_LENGTH, MAX_PASSWORD_LENGTH]).toEqual([8, 12, 16]);
  });
});

describe('Function: generatePassword', () => {
  afterEach(() => {
    vi.doUnmock('generate-password');
    vi.resetModules();
  });

  it('defaults to 16 characters with all four classes', () => {
    const password = generatePassword({ os: 'linux' });
    expect(DEFAULT_PASSWORD_LENGTH).toBe(16);
    expect(password).toHaveLength(16);
    expect(hasAllFourClasses(password)).toBe(true);
  });

  it.each([
    ['linux', 7],
    ['linux', 17],
    ['windows', 11],
    ['windows', 17],
    ['windows', 12.5],
  ] as const)('refuses a %s length of %d', (os, length) => {
    expect(() => generatePassword({ os, length })).toThrow(/characters long/);
  });

  it('gives fresh passwords', () => {
    const passwords = new Set(
      Array.from({ length: 1000 }, () => generatePassword({ os: 'linux', length: 12 })),
    );
    expect(passwords.size).toBe(1000);
  });

  it('asks generate-password for exactly the allowed symbols, with strict off', async () => {
    // Prepare: spy on the library's options while keeping its behaviour.
    const calls: unknown[] = [];
    vi.doMock('generate-password', async (importOriginal) => {
      const original = await importOriginal<typeof import('generate-password')>();
      return {
        generate: (options: Parameters<typeof original.generate>[0]) => {
          calls.push({ ...options });
          return original.generate(options);
        },
      };
    });
    vi.resetModules();
    const { generatePassword: generate } = await import('../../src/password/generate');
    // Act
    generate({ os: 'windows', userName: 'Administrator', length: 14 });
    // Assess
    expect(calls[0]).toEqual({
      length: 14,
      lowercase: true,
      uppercase: true,
      numbers: true,
      symbols: SPECIAL_CHARACTERS,
      excludeSimilarCharacters: false,
      strict: false,
    });
  });

  it('gives up with PasswordGenerationFailed when every draw is rejected', async () => {
    // Prepare: a library that always returns a password missing three classes.
    let draws = 0;
    vi.doMock('generate-password', () => ({
      generate: () => {
        draws += 1;
        return 'aaaaaaaaaaaaaaaa';
      },
    }));
    vi.resetModules();
    const generate = await import('../../src/password/generate');
    // Act
    const act = () => generate.generatePassword({ os: 'linux' });
    // Assess
    expect(act).toThrow(expect.objectContaining({ code: 'PasswordGenerationFailed' }));
    expect(draws).toBe(generate.MAX_GENERATION_ATTEMPTS);
  });

  it('rejects a draw that begins with "/" or contains the Windows user name', async () => {
    // Prepare: the first draws break one rule each; the last is good.
    const draws = ['/Abcdefgh1!xyzuv', 'Abc1!OPSdefghijk', 'Abcdefgh1!xyzuvw'];
    vi.doMock('generate-password', () => ({ generate: () => draws.shift() }));
    vi.resetModules();
    const { generatePassword: generate } = await import('../../src/password/generate');
    // Act
    const password = generate({ os: 'windows', userName: 'ops' });
    // Assess: the leading "/" and the user name (in another case) were both redrawn.
    expect(password).toBe('Abcdefgh1!xyzuvw');
    expect(draws).toEqual([]);
  });
});

describe('Property: generated passwords satisfy both published rules', () => {
  it('holds for 100,000 passwords over OS × user name × length, and every allowed character occurs', () => {
    // Prepare
    const userNames = fc.oneof(
      fc.constantFrom('root', 'ubuntu', 'Administrator', 'admin', 'a', 'Z', '7', '!'),
      fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,15}$/),
    );
    const cases = fc.oneof(
      fc.record({
        os: fc.constant<OsFamily>('linux'),
        length: fc.integer({ min: 8, max: 16 }),
        userName: userNames,
      }),
      fc.record({
        os: fc.constant<OsFamily>('windows'),
        length: fc.integer({ min: 12, max: 16 }),
        userName: userNames,
      }),
    );
    const frequency = new Map<string, number>();
    let generated = 0;

    // Act + Assess
    fc.assert(
      fc.property(cases, ({ os, length, userName }) => {
        const password = generatePassword({ os, userName, length });
        generated += 1;
        for (const c of password) frequency.set(c, (frequency.get(c) ?? 0) + 1);
        return (
          password.length === length &&
          satisfiesTodaysRule(password, os, userName) &&
          satisfiesSeedRule(password, os) &&
          hasAllFourClasses(password)
        );
      }),
      { numRuns: 100_000 },
    );

    expect(generated).toBeGreaterThanOrEqual(100_000);
    // Rough uniformity: every allowed character occurs, nothing else does, and within each class
    // every character is drawn about as often as the class average (±15%, far beyond noise at
    // ~14,000 draws per character; a broken pool or a modulo bias would show).
    const classes = [
      'abcdefghijklmnopqrstuvwxyz',
      'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
      '0123456789',
      SPECIAL_CHARACTERS,
    ];
    const allowed = classes.join('');
    expect([...frequency.keys()].sort()).toEqual([...allowed].sort());
    for (const cls of classes) {
      const counts = [...cls].map((c) => frequency.get(c) ?? 0);
      const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
      for (const n of counts) {
        expect(n).toBeGreaterThan(mean * 0.85);
        expect(n).toBeLessThan(mean * 1.15);
      }
    }
  });
});
