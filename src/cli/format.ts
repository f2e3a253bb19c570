/**
 * Plain text output: padded columns, no colours, no table library. Operators paste this into
 * incident channels, where anything fancier breaks.
 */

/** One line per cell: control characters (a line break in a reason) would break the columns. */
export function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point.
  return String(value).replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

/** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
export function table(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const text = [headers.map(cell), ...rows.map((row) => headers.map((_, i) => cell(row[i])))];
  const widths = headers.map((_, i) => Math.max(...text.map((row) => (row[i] ?? '').length)));
  return text
    .map((row) =>
      row
        .map((value, i) => (i === row.length - 1 ? value : value.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}

/** `label   value` lines, labels padded. */
export function fields(entries: readonly (readonly [string, unknown])[]): string {
  const width = Math.max(...entries.map(([label]) => label.length));
  const lines = entries.map(([label, value]) => `${label.padEnd(width)}  ${cell(value)}`);
  return `${lines.join('\n')}\n`;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Unix seconds (SSM's CreateTime) as ISO 8601 UTC. */
export function unixTime(secondsSinceEpoch: number): string {
  return new Date(secondsSinceEpoch * 1000).toISOString().replace('.000Z', 'Z');
}

/** `'a'`, `'a and b'`, `'a, b and c'`. */
export function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Quotes a value for a POSIX shell command line the operator can copy. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:,=@%+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
