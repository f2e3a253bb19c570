/**
 * The function's entry: SCF loads `index.js` and calls `main_handler(event, context)`.
 * Everything else lives in folders named for what they do: config/, discovery/, password/,
 * protocol/, secrets/, audit/, cloud/ (the SDK adapters) and emulator/ (the local cloud).
 */

export type { RunOptions, ScfContext } from './handler';
export { main_handler, runFromEvent } from './handler';
export type { InstanceReport, RunReport } from './protocol/report';
