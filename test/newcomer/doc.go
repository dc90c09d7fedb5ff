// Package newcomer holds the end-to-end checks of a newcomer's first hour:
// the README's two commands and what they promise (`make demo` stops on
// SIGTERM with nothing left running; a server built without the client
// bundle says so). They run with the e2e build tag, as `make e2e` does.
package newcomer
