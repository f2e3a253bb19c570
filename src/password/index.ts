/** CVM password policy (./policy.ts) and the generator that satisfies it (./generate.ts). */
export * from './generate';
export * from './policy';
