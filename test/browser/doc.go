// Package browser holds the browser end-to-end tests (build tag e2e). Each
// starts the server binary with the demo users and runs a Node script that
// drives headless Chromium (/usr/bin/chromium) through playwright-core:
//
//   - chat.mjs (TestBrowserDemoPage): alice and bob open #general; bob sees
//     alice typing and then her message; an HTML-looking message shows as
//     text and runs nothing; rooms and DMs not on screen get an unread dot;
//     a refused join is explained; the admin (at phone width) sends bob a
//     notification through the form, bob's bell counts it in both his tabs
//     and clears when he opens the panel; after a reload bob's session
//     resumes, the join shows the last page and scrolling up the rest.
//   - session.mjs (TestBrowserSession): with 6 s tokens the page refreshes
//     its token (auth:expiring, POST /token, auth:refresh) and stays
//     connected; signing out in one tab ends the other.
//
// Screenshots of each user's view go to test/artifacts/ (gitignored).
//
// Run them with: go test -race -tags e2e -run Browser ./test/browser/
package browser
