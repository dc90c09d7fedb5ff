//go:build e2e

package faults

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"rtserver/test/harness"
)

// scale is the size of every scenario; FAULTS_SCALE picks ci (default) or full.
type scale struct {
	Name string
	// RestartClients connect to RestartRooms rooms; each sends one message every
	// RestartEvery.
	RestartClients int
	RestartRooms   int
	RestartEvery   time.Duration
	RestartBefore  time.Duration // traffic before SIGTERM
	RestartAfter   time.Duration // traffic after everyone is back
	// SlowMembers are in the busy room; SlowSenders of them send SlowRate msg/s each
	// with SlowText-byte texts.
	SlowMembers int
	SlowSenders int
	SlowRate    float64
	SlowText    int
	// CutClients connect; 30% are cut.
	CutClients int
	// StormClients reconnect at once.
	StormClients int
	// ShutdownClients send continuously with ShutdownWindow messages in flight each.
	ShutdownClients int
	ShutdownWindow  int
}

func currentScale() scale {
	if strings.EqualFold(os.Getenv("FAULTS_SCALE"), "full") {
		return scale{
			Name:           "full",
			RestartClients: 2000, RestartRooms: 20, RestartEvery: 4 * time.Second,
			RestartBefore: 8 * time.Second, RestartAfter: 4 * time.Second,
			SlowMembers: 100, SlowSenders: 20, SlowRate: 10, SlowText: 2000,
			CutClients:      5000,
			StormClients:    5000,
			ShutdownClients: 500, ShutdownWindow: 4,
		}
	}
	return scale{
		Name:           "ci",
		RestartClients: 200, RestartRooms: 4, RestartEvery: time.Second,
		RestartBefore: 3 * time.Second, RestartAfter: 2 * time.Second,
		SlowMembers: 30, SlowSenders: 10, SlowRate: 20, SlowText: 4000,
		CutClients:      500,
		StormClients:    500,
		ShutdownClients: 100, ShutdownWindow: 4,
	}
}

func TestMain(m *testing.M) {
	os.Exit(harness.Main(m, &serverBin, func() {
		figures.Print(os.Stdout, "fault figures (FAULTS_SCALE="+currentScale().Name+")")
	}, false))
}

// figures are the suite's measurements, printed by TestMain.
var figures = &harness.Figures{ScenarioWidth: 16, NameWidth: 44}

// record logs a figure and keeps it for the table TestMain prints.
func record(t testing.TB, scenario, name, format string, args ...any) {
	t.Helper()
	figures.Record(t, scenario, name, format, args...)
}

// durations is a set of measured durations.
type durations struct {
	mu sync.Mutex
	v  []time.Duration
}

func (d *durations) add(x time.Duration) {
	d.mu.Lock()
	d.v = append(d.v, x)
	d.mu.Unlock()
}

func (d *durations) n() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.v)
}

// q returns the q-quantile (0..1, nearest rank), 0 when empty.
func (d *durations) q(q float64) time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.v) == 0 {
		return 0
	}
	s := slices.Clone(d.v)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	i = max(0, min(i, len(s)-1))
	return s[i]
}

// summary is "n=… p50=… p99=… max=…".
func (d *durations) summary() string {
	return fmt.Sprintf("n=%d p50=%s p99=%s max=%s", d.n(), ms(d.q(0.5)), ms(d.q(0.99)), ms(d.q(1)))
}

func ms(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	default:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
}

// backoff is socket.io-client's reconnection delay: reconnectionDelay 1 s doubling
// per attempt up to reconnectionDelayMax 5 s, randomized by ±50%.
func backoff(attempt int, rnd float64, rnd2 float64) time.Duration {
	d := float64(time.Second)
	for i := 0; i < attempt && d < float64(5*time.Second); i++ {
		d *= 2
	}
	dev := rnd * 0.5 * d
	if rnd2 < 0.5 {
		d -= dev
	} else {
		d += dev
	}
	return min(time.Duration(d), 5*time.Second)
}
