// Package identity is the one home of "who is this, and may they still be
// here": where a token or session is checked, the answer is this package.
//
// It owns
//   - the credential sources of a socket handshake (AUTH_SOURCES, parsed
//     once) and the one extractor that reads them ([Credentials]);
//   - verification of bearer tokens and session cookies, with the mapping
//     of every failure onto the client-facing codes of internal/apierr
//     ([Service.VerifyToken], [Service.VerifySession], [Verify]);
//   - sessions: login, refresh, logout and revoke ([Service]);
//   - the [Claims] every other package acts on.
//
// The JWT codec (signing, pinned algorithms, strict claim decoding) is the
// sub-package auth; nothing outside identity and the server's wiring
// imports it.
//
// Concurrency: [Service] and [Credentials] are immutable after
// construction and safe for concurrent use.
package identity
