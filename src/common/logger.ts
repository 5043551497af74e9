/**
 * What domain code may say. Actions pass an adapter over `@actions/core`; tests pass a recorder.
 * Domain modules never import `@actions/core` directly.
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  /** Runs `fn` inside a collapsible log group, closing it even when `fn` throws. */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

/** A Logger that keeps every line, for tests and for the demo's transcript. */
export class RecordingLogger implements Logger {
  readonly lines: { level: 'debug' | 'info' | 'warning' | 'error'; message: string }[] = [];

  debug(message: string): void {
    this.lines.push({ level: 'debug', message });
  }
  info(message: string): void {
    this.lines.push({ level: 'info', message });
  }
  warning(message: string): void {
    this.lines.push({ level: 'warning', message });
  }
  error(message: string): void {
    this.lines.push({ level: 'error', message });
  }
  async group<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.lines.push({ level: 'info', message: `[group] ${name}` });
    try {
      return await fn();
    } finally {
      this.lines.push({ level: 'info', message: `[endgroup] ${name}` });
    }
  }
  /** Every message at `level` or all levels, for assertions. */
  messages(level?: 'debug' | 'info' | 'warning' | 'error'): string[] {
    return this.lines.filter((l) => level === undefined || l.level === level).map((l) => l.message);
  }
}

/** A Logger that says nothing. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warning: () => undefined,
  error: () => undefined,
  group: async (_name, fn) => fn(),
};
