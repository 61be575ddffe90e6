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
	"github.com/licensekit/license/portal"
)

// Environment of the helper processes.
const (
	crashDirEnv = "FILESTORE_CRASH_DIR" // TestHelperCrashWriter's directory
	incrDirEnv  = "FILESTORE_INCR_DIR"  // TestHelperIncrementer's directory
	incrNEnv    = "FILESTORE_INCR_N"    // how many increments it makes
)

// crashHistory is how many history entries the crash writer keeps, so
// that the organization does not grow without bound.
const crashHistory = 8

// TestHelperCrashWriter is not a test: TestCrash runs the test binary
// again with only this function, and kills it. It writes the three kinds
// of document in a loop, one counter each, and prints "<kind> <n>" on
// standard output once the write of value n returned: n is then
// committed. It stops by itself after a few seconds.
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
	report := func(kind string, n int64) {
		// One write(2) of less than PIPE_BUF bytes: a kill cannot split
		// it.
		if _, err := os.Stdout.WriteString(kind + " " + strconv.FormatInt(n, 10) + "\n"); err != nil {
			fail(err)
		}
	}
	payload := strings.Repeat("x", 2000) // so that writes take a few pages
	report("ready", 0)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		st, err := s.LoadInstallation(ctx, "app")
		if err != nil && !errors.Is(err, license.ErrNotFound) {
			fail(err)
		}
		st.Trials++
		st.Sent = []string{payload, strconv.Itoa(st.Trials)}
		if _, err := s.SaveInstallation(ctx, "app", st); err != nil {
			fail(err)
		}
		report("inst", int64(st.Trials))

		var n int
		err = s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
			o.Wallet["n"]++
			n = o.Wallet["n"]
			o.History = append(o.History, portal.HistoryEntry{Seq: int64(n), Action: "n", Detail: payload})
			if len(o.History) > crashHistory {
				o.History = o.History[len(o.History)-crashHistory:]
			}
			return nil
		})
		if err != nil {
			fail(err)
		}
		report("org", int64(n))

		var seq int64
		if err := s.UpdateVendor(ctx, func(v *portal.Vendor) error {
			v.Seq++
			seq = v.Seq
			v.Owners.Put("last", payload+strconv.FormatInt(seq, 10))
			return nil
		}); err != nil {
			fail(err)
		}
		report("vendor", seq)
	}
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
	s := MustOpen(t, dir)
	if err := s.CreateOrganization(ctx, sampleOrg("acme")); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
		o.Wallet, o.History = map[string]int{}, nil
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(2026, 1))
	last := map[string]int64{"inst": 0, "org": 0, "vendor": 0} // verified in the store
	var (
		commits     int // writes reported committed
		unreported  int // kills between a write and its report
		leftovers   int // temporary files found after a kill
		start       = time.Now()
		stderr      bytes.Buffer
		leftPattern = filepath.Join(dir, "*", "*.tmp-*")
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
			kind, v, _ := strings.Cut(strings.TrimSpace(line), " ")
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n != reported[kind]+1 {
				t.Fatalf("kill %d: child reported %q after %s %d", i, line, kind, reported[kind])
			}
			reported[kind] = n
			commits++
		}
		err = cmd.Wait()
		if ee := (*exec.ExitError)(nil); !errors.As(err, &ee) || ee.ExitCode() != -1 {
			t.Fatalf("kill %d: child ended with %v, not killed; stderr: %s", i, err, stderr.String())
		}

		found, _ := filepath.Glob(leftPattern)
		root, _ := filepath.Glob(filepath.Join(dir, "*.tmp-*"))
		leftovers += len(found) + len(root)
		s, err := filestore.Open(dir)
		if err != nil {
			t.Fatalf("kill %d: Open: %v", i, err)
		}
		got := crashState(t, s, i)
		s.Close()
		for kind, n := range got {
			switch n {
			case reported[kind]:
			case reported[kind] + 1:
				unreported++
			default:
				t.Fatalf("kill %d: %s holds %d; the child reported %d committed", i, kind, n, reported[kind])
			}
			last[kind] = n
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

// crashState reads the crash writer's three counters, checking that each
// document is whole and consistent.
func crashState(t *testing.T, s *filestore.Store, kill int) map[string]int64 {
	t.Helper()
	got := map[string]int64{}
	st, err := s.LoadInstallation(ctx, "app")
	switch {
	case errors.Is(err, license.ErrNotFound):
	case err != nil:
		t.Fatalf("kill %d: Load: %v", kill, err)
	case int64(st.Trials) != st.Version || len(st.Sent) != 2 || st.Sent[1] != strconv.Itoa(st.Trials):
		t.Fatalf("kill %d: installation inconsistent: trials %d, version %d, sent %.20q", kill, st.Trials, st.Version, st.Sent)
	default:
		got["inst"] = int64(st.Trials)
	}
	err = s.ViewOrganization(ctx, "acme", func(o *portal.Organization) error {
		n := o.Wallet["n"]
		if want := min(n, crashHistory); len(o.History) != want {
			return fmt.Errorf("wallet %d, %d history entries, want %d", n, len(o.History), want)
		}
		for i, e := range o.History {
			if e.Seq != int64(n-len(o.History)+i+1) {
				return fmt.Errorf("wallet %d, history[%d].Seq = %d", n, i, e.Seq)
			}
		}
		got["org"] = int64(n)
		return nil
	})
	if err != nil {
		t.Fatalf("kill %d: organization: %v", kill, err)
	}
	err = s.ViewVendor(ctx, func(v *portal.Vendor) error {
		if v.Seq > 0 && !strings.HasSuffix(v.Owners.Peek("last"), "x"+strconv.FormatInt(v.Seq, 10)) {
			return fmt.Errorf("seq %d, owners %.20q", v.Seq, v.Owners.Peek("last"))
		}
		got["vendor"] = v.Seq
		return nil
	})
	if err != nil {
		t.Fatalf("kill %d: vendor: %v", kill, err)
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
	if err := s.CreateOrganization(ctx, sampleOrg("acme")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveInstallation(ctx, "app", license.InstallationState{}); err != nil {
		t.Fatal(err)
	}
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
