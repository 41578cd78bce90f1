/**
 * The words for a token that is refused. jose's errors become ERR_AUTH_INVALID with a sentence a
 * person can act on ("the token has expired", "... signed by a key this server does not have"). No
 * message ever quotes the token or a value read from it: tokens are bearer secrets, and refusals
 * reach logs, players and other apps.
 */
import { errors } from 'jose';
import { CamrtcError } from '../errors.js';

export function tokenInvalid(message: string): CamrtcError {
  return new CamrtcError('ERR_AUTH_INVALID', message);
}

export const NOT_A_JWT = 'the token is not a JWT (three base64url parts separated by dots)';
export const UNKNOWN_KEY = 'the token is signed by a key this server does not have (rotated out?)';
export const EXPIRED = 'the token has expired';

/** What the verifier expected, for the wrong-issuer and wrong-audience sentences. */
export interface TokenExpectations {
  readonly issuer: string;
  readonly audience?: string;
  readonly algorithms: readonly string[];
}

/** A jose error (or anything thrown while verifying) as the refusal a client reads. */
export function tokenRefusal(err: unknown, expected: TokenExpectations): CamrtcError {
  if (err instanceof CamrtcError) return err;
  if (err instanceof errors.JWTExpired) return tokenInvalid(EXPIRED);
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'iss':
        return tokenInvalid(`wrong issuer: expected tokens issued by '${expected.issuer}'`);
      case 'aud':
        return tokenInvalid(`wrong audience: the token is not for '${expected.audience ?? ''}' (auth.jwt.audience)`);
      case 'nbf':
        return tokenInvalid('the token is not valid yet (nbf is in the future: check the clocks)');
      case 'exp':
        return tokenInvalid(err.reason === 'missing' ? 'the token has no expiry (exp): camrtc accepts only tokens that expire' : EXPIRED);
      case 'iat':
        return tokenInvalid('the token has no valid issue time (iat)');
      default:
        return tokenInvalid(`the token's ${err.claim.slice(0, 40)} claim is not valid`);
    }
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) {
    return tokenInvalid(`the token is signed with an algorithm this server does not accept here (${expected.algorithms.join(', ')})`);
  }
  if (err instanceof errors.JWKSNoMatchingKey) return tokenInvalid(UNKNOWN_KEY);
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return tokenInvalid('the token\'s signature does not verify (altered, or signed with another key of the same name)');
  }
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return tokenInvalid(NOT_A_JWT);
  if (err instanceof errors.JWKSTimeout) return tokenInvalid("the identity provider's key set did not arrive in time: the token cannot be checked now");
  if (err instanceof errors.JWKSMultipleMatchingKeys) return tokenInvalid("the identity provider's key set has several keys that fit the token: it cannot be checked");
  // A failed fetch of the key set (connection refused, not JSON, not 200) or anything unexpected.
  return tokenInvalid("the token cannot be checked now: the identity provider's key set could not be fetched");
}
