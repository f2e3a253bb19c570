/** Audit and operational logging: one redacted JSON line per event (see ./logger.ts, ./redact.ts). */
export * from './events';
export * from './logger';
export * from './redact';
