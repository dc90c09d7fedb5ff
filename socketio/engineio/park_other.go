//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package engineio

// canPark: idle read loops keep their goroutine on this OS.
const canPark = false

func readable(uintptr) bool { return true }
