import { describe, expect, it } from '@jest/globals';
import { ConfigurationError, InputError } from '../../src/common/errors.js';

describe('InputError', () => {
  it('names the input, quotes the value and says what is expected', () => {
    const err = new InputError('gallery', 'my-gallery', 'Expected letters, digits, "." and "_".');
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).toBe(
      `Invalid input 'gallery': 'my-gallery'. Expected letters, digits, "." and "_".`,
    );
    expect(err.input).toBe('gallery');
  });
});
