/**
 * "None leaks": every byte the rotator's processes write (the audit log on stdout, anything on
 * stderr) is scanned for every password the emulator ever received, raw and JSON-escaped.
 *
 * The scan slides a window of each password length over the text and looks the window up in a
 * set, so thousands of passwords cost one pass per distinct length, not one pass per password.
 */
export class LeakScanner {
  private byLength = new Map<number, Set<string>>();
  private known = -1;

  constructor(private readonly secrets: () => readonly string[]) {}

  private refresh(): void {
    const all = this.secrets();
    if (all.length === this.known) return;
    this.known = all.length;
    const byLength = new Map<number, Set<string>>();
    const add = (value: string) => {
      const set = byLength.get(value.length) ?? new Set<string>();
      set.add(value);
      byLength.set(value.length, set);
    };
    for (const value of all) {
      // Whole JSON secret strings contain a password; finding the password is enough.
      if (value.length < 8 || value.startsWith('{')) continue;
      add(value);
      const escaped = JSON.stringify(value).slice(1, -1);
      if (escaped !== value) add(escaped);
    }
    this.byLength = byLength;
  }

  /** How many distinct known passwords occur in `text`. */
  count(text: string): number {
    this.refresh();
    const found = new Set<string>();
    for (const [length, set] of this.byLength) {
      for (let i = 0; i + length <= text.length; i++) {
        const window = text.slice(i, i + length);
        if (set.has(window)) found.add(window);
      }
    }
    return found.size;
  }

  /** `text` with every known password replaced by `***` (for failure reports). */
  redact(text: string): string {
    this.refresh();
    let out = text;
    const lengths = [...this.byLength.keys()].sort((a, b) => b - a);
    for (const length of lengths) {
      const set = this.byLength.get(length) as Set<string>;
      let next = '';
      let i = 0;
      while (i < out.length) {
        const window = out.slice(i, i + length);
        if (window.length === length && set.has(window)) {
          next += '***';
          i += length;
        } else {
          next += out[i];
          i++;
        }
      }
      out = next;
    }
    return out;
  }
}
