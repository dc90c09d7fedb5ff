// Package browser holds the browser end-to-end test: browser_test.go
// (build tag e2e) starts the server with the demo users and runs chat.mjs,
// which drives headless Chromium (/usr/bin/chromium) through playwright-core:
// alice and bob log in on two pages, join a room, see each other's
// messages, an HTML-looking message shows as text, a refused join is
// explained, and a screenshot goes to test/artifacts/.
//
// Run it with: go test -race -tags e2e ./test/browser/
package browser
