import { quoteValue } from './redact.js';

/**
 * The user's mistake (bad input, a conflicting resource they asked for), as opposed to a bug.
 * Actions report it with `setFailed(message)` and no stack trace.
 */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

/**
 * A bad action input: the message names the input, quotes the value and says what is expected.
 * The value is quoted through `quoteValue`: credentials redacted, one line, a readable prefix.
 */
export class InputError extends ConfigurationError {
  readonly input: string;
  constructor(input: string, value: string, expected: string) {
    super(`Invalid input '${input}': '${quoteValue(value)}'. ${expected}`);
    this.name = 'InputError';
    this.input = input;
  }
}
