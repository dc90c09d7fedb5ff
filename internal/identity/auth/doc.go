// Package auth is identity's JWT codec: it issues and verifies the JSON
// Web Tokens of the server and hashes passwords. Only package identity
// (and the server's wiring, which builds it) uses it.
//
// Tokens are HS256, signed with the server secret. A public key
// (RS256, ES256 or EdDSA) can be configured in addition so that tokens
// minted by another service verify too. Algorithms are pinned per key;
// everything else is refused. Failures collapse onto four sentinel errors
// ([ErrMissingToken], [ErrInvalidToken], [ErrTokenExpired], [ErrRevoked])
// that callers map to client-facing codes; library error text never
// reaches a client.
//
// Concurrency: [Issuer] and [Verifier] are immutable after construction
// and safe for concurrent use. The functions keep no state.
package auth
