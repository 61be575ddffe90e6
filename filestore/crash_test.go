//go:build unix && !solaris && !aix

package filestore_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensekit/license"
	"github.com/licensekit/license/filestore"
)

// Environment of the helper processes.
const (
	crashDirEnv = "FILESTORE_CRASH_DIR" // TestHelperCrashWriter's directory
	incrDirEnv  = "FILESTORE_INCR_DIR"  // TestHelperIncrementer's directory
	incrNEnv    = "FILESTORE_INCR_N"    // how many increments it makes
)

// TestHelperCrashWriter is not a test: TestCrash runs the test binary
// again with only this function, and kills it. It saves the installations
// of sharedIDs in turn, in a loop, one counter (Trials) each, and prints
// "<ID> <n>" on standard output once the save of value n returned: n is
// then committed. It stops by itself after a few seconds.
func TestHelperCrashWriter(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("helper process of TestCrash")
	}
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "crash writer:", err)
		os.Exit(2)
	}
	s, err := filestore.Open(dir)
	if err != nil {
		fail(err)
	}
	report := func(id string, n int) {
		// One write(2) of less than PIPE_BUF bytes: a kill cannot split
		// it.
		if _, err := os.Stdout.WriteString(id + " " + strconv.Itoa(n) + "\n"); err != nil {
			fail(err)
		}
	}
	report("ready", 0)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		for i, id := range sharedIDs {
			st, err := s.LoadInstallation(ctx, id)
			if err != nil && !errors.Is(err, license.ErrNotFound) {
				fail(err)
			}
			st.Trials++
			st.Sent = []string{crashPayload(i, st.Trials), strconv.Itoa(st.Trials)}
			if _, err := s.SaveInstallation(ctx, id, st); err != nil {
				fail(err)
			}
			report(id, st.Trials)
		}
	}
}

// crashPayload is what the crash writer saves with counter n in the i-th
// installation: a few pages, so that a kill can land inside a write, of a
// size that changes with n, so that a mix of two saves shows.
func crashPayload(i, n int) string {
	return strings.Repeat("x", 2000*(i+1)+n%100)
}

// TestCrash is the crash test: a child process writes the store in a
// loop, and is killed (SIGKILL) at a random moment, 0 to 20 ms after it
// started writing, again and again. After each kill the store must open,
// every document must read without ErrCorrupt, and hold the last value
// the child reported committed, or the next one (killed after the write,
// before the report), nothing else.
func TestCrash(t *testing.T) {
	kills := 250
	if testing.Short() {
		kills = 40
	}
	dir := t.TempDir()
	MustOpen(t, dir)

	rng := rand.New(rand.NewPCG(2026, 1))
	last := map[string]int{} // verified in the store, by ID
	var (
		commits     int // writes reported committed
		unreported  int // kills between a write and its report
		leftovers   int // temporary files found after a kill
		start       = time.Now()
		stderr      bytes.Buffer
		leftPattern = filepath.Join(dir, "installations", "*.tmp-*")
	)
	for i := range kills {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperCrashWriter$")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
		stderr.Reset()
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(out)
		if line, err := r.ReadString('\n'); line != "ready 0\n" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("kill %d: child said %q, %v; stderr: %s", i, line, err, stderr.String())
		}
		time.Sleep(time.Duration(rng.Int64N(int64(20 * time.Millisecond))))
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		reported := maps.Clone(last)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				break // the rest of a line is never written: see report
			}
			id, v, _ := strings.Cut(strings.TrimSpace(line), " ")
			n, err := strconv.Atoi(v)
			if err != nil || n != reported[id]+1 {
				t.Fatalf("kill %d: child reported %q after %s %d", i, line, id, reported[id])
			}
			reported[id] = n
			commits++
		}
		err = cmd.Wait()
		if ee := (*exec.ExitError)(nil); !errors.As(err, &ee) || ee.ExitCode() != -1 {
			t.Fatalf("kill %d: child ended with %v, not killed; stderr: %s", i, err, stderr.String())
		}

		found, _ := filepath.Glob(leftPattern)
		leftovers += len(found)
		s, err := filestore.Open(dir)
		if err != nil {
			t.Fatalf("kill %d: Open: %v", i, err)
		}
		got := crashState(t, s, i)
		s.Close()
		for _, id := range sharedIDs {
			switch n := got[id]; n {
			case reported[id]:
				last[id] = n
			case reported[id] + 1:
				unreported++
				last[id] = n
			default:
				t.Fatalf("kill %d: %s holds %d; the child reported %d committed", i, id, n, reported[id])
			}
		}
		if found, _ := filepath.Glob(leftPattern); len(found) > 0 {
			t.Fatalf("kill %d: Open left %v", i, found)
		}
	}
	t.Logf("%d kills in %v: %d writes reported committed, %d more committed but killed before the report, %d temporary files left by kills and removed by Open; final counters %v",
		kills, time.Since(start).Round(time.Millisecond), commits, unreported, leftovers, last)
	if commits == 0 {
		t.Fatal("the child never committed a write before being killed")
	}
}

// crashState reads the crash writer's counters, checking that each
// installation is whole and consistent: its version is its counter, and
// its payload the one saved with that counter.
func crashState(t *testing.T, s *filestore.Store, kill int) map[string]int {
	t.Helper()
	got := map[string]int{}
	for i, id := range sharedIDs {
		st, err := s.LoadInstallation(ctx, id)
		switch {
		case errors.Is(err, license.ErrNotFound):
		case err != nil:
			t.Fatalf("kill %d: Load(%s): %v", kill, id, err)
		case int64(st.Trials) != st.Version || len(st.Sent) != 2 ||
			st.Sent[0] != crashPayload(i, st.Trials) || st.Sent[1] != strconv.Itoa(st.Trials):
			t.Fatalf("kill %d: %s inconsistent: trials %d, version %d, sent %.20q", kill, id, st.Trials, st.Version, st.Sent)
		default:
			got[id] = st.Trials
		}
	}
	return got
}

// TestHelperIncrementer is not a test: TestProcessesShareDirectory runs
// the test binary again with only this function, in several processes at
// once.
func TestHelperIncrementer(t *testing.T) {
	dir := os.Getenv(incrDirEnv)
	if dir == "" {
		t.Skip("helper process of TestProcessesShareDirectory")
	}
	n, err := strconv.Atoi(os.Getenv(incrNEnv))
	if err != nil {
		t.Fatal(err)
	}
	s := MustOpen(t, dir)
	for range n {
		if err := incrementAll(s); err != nil {
			t.Fatal(err)
		}
	}
}

// TestProcessesShareDirectory: processes updating the same documents at
// once lose no update (flock between processes).
func TestProcessesShareDirectory(t *testing.T) {
	const procs, each = 3, 30
	dir := t.TempDir()
	s := MustOpen(t, dir)
	createShared(t, s)
	var wg sync.WaitGroup
	for range procs {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperIncrementer$")
			cmd.Env = append(os.Environ(), incrDirEnv+"="+dir, fmt.Sprint(incrNEnv, "=", each))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("child: %v\n%s", err, out)
			}
		})
	}
	// And this process, meanwhile.
	for range each {
		if err := incrementAll(s); err != nil {
			t.Error(err)
			break
		}
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	checkIncremented(t, s, (procs+1)*each)
}
