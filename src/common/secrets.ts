/**
 * Where secrets found in inputs are sent to be masked. The runner layer installs
 * `core.setSecret` once, before any input is read (`runAction`); domain code and tests leave the
 * default, which masks nothing. A registration rather than a parameter because every action's
 * `getInputs()` would otherwise have to thread a masker to each URL it parses.
 */
type Masker = (secret: string) => void;

let masker: Masker = () => undefined;

/** Sends every later secret to `mask`; returns the previous masker (for tests to restore). */
export function setSecretMasker(mask: Masker): Masker {
  const previous = masker;
  masker = mask;
  return previous;
}

/** Masks `secret` (and its URL-decoded form) in everything logged from now on. */
export function maskSecret(secret: string): void {
  if (secret.length < 3) return; // masking "a" would star every a in the log
  masker(secret);
  let decoded: string;
  try {
    decoded = decodeURIComponent(secret);
  } catch {
    return;
  }
  if (decoded !== secret && decoded.length >= 3) masker(decoded);
}
