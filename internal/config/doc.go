// Package config reads the server configuration from environment
// variables (optionally mirrored by command-line flags), fills in
// defaults and validates it before anything starts.
//
// Every error names the variable at fault, e.g.
// "TOKEN_TTL: must be a positive duration such as 15m". Secrets (the JWT
// secret, publish API keys) are of type [Secret], which prints, logs and
// marshals as REDACTED.
//
// The package keeps no state; [FromEnv] reads only through the getenv
// function it is given.
package config
