package storetest_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/licensekit/license/storetest"
)

// processReport is what a process of TestRunProcesses reports.
type processReport struct {
	Number int    `json:"number"`
	Env    string `json:"env"`
}

// TestRunProcesses checks that each process runs the helper with its own
// environment, and that the reports come back in the processes' order.
func TestRunProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 3 processes; skipped in -short mode")
	}
	got, _ := storetest.RunProcesses[processReport](context.Background(), t, "TestRunProcessesChild", 3, func(i int) []string {
		return []string{"LICENSEKIT_STORETEST_TEST=value-" + strconv.Itoa(i)}
	})
	if len(got) != 3 {
		t.Fatalf("%d reports, want 3", len(got))
	}
	for i, r := range got {
		if want := (processReport{Number: i, Env: "value-" + strconv.Itoa(i)}); r != want {
			t.Errorf("process %d reported %+v, want %+v", i, r, want)
		}
	}
}

// TestRunProcessesChild is a process of TestRunProcesses; it is skipped
// when run otherwise.
func TestRunProcessesChild(t *testing.T) {
	i := storetest.ChildNumber(t)
	storetest.ChildReady()
	storetest.ChildReport(t, processReport{Number: i, Env: os.Getenv("LICENSEKIT_STORETEST_TEST")})
}
