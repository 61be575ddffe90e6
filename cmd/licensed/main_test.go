package main_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	lkhttp "github.com/licensekit/license/http"
	"github.com/licensekit/license/portal"
)

// bin is the licensed binary the tests run, built once.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "licensed-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "licensed")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is a licensed process serving on a free port of loopback.
type server struct {
	cmd    *exec.Cmd
	url    string
	out    *syncBuffer // what it printed after its address
	waited chan error
}

// syncBuffer is what a process printed, which a test waits on.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{} // closed at the next write
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// has reports whether the buffer holds text, and if not, returns a
// channel closed at the next write.
func (s *syncBuffer) has(text string) (bool, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.Contains(s.b.String(), text) {
		return true, nil
	}
	if s.changed == nil {
		s.changed = make(chan struct{})
	}
	return false, s.changed
}

var listening = regexp.MustCompile(`listening on (http://[0-9.:]+)`)

// start runs licensed serve with args and env, and waits until it
// listens. The process is stopped when the test ends.
func start(t *testing.T, env []string, args ...string) *server {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "-addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, out: &syncBuffer{}, waited: make(chan error, 1)}
	cmd.Stderr = s.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-s.waited
	})
	lines := bufio.NewReader(stdout)
	first, err := lines.ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		t.Fatalf("licensed did not start: %v\n%s", err, s.out)
	}
	m := listening.FindStringSubmatch(first)
	if m == nil {
		t.Fatalf("first line %q names no address", first)
	}
	s.url = m[1]
	s.out.Write([]byte(first))
	go func() {
		io.Copy(s.out, lines)
		s.waited <- cmd.Wait()
	}()
	return s
}

// licensed runs a command of licensed to its end, and returns its
// standard output.
func licensed(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("licensed %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

func client(t *testing.T, s *server, token string) *lkhttp.Client {
	t.Helper()
	c, err := lkhttp.NewClient(s.url, token, lkhttp.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The first start says how to get the vendor's token; the token the
// command line makes works over the API (W2), one of another organization
// does not reach it (W3), a revoked one no longer works, and SIGTERM
// stops the server cleanly.
func TestLicensed_W2_FirstStartTokensAndGracefulStop(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	s := start(t, nil, "-data", data)
	waitFor(t, s.out, "licensed token create -data "+data+" -vendor -actor YOU")

	vendorToken := strings.TrimSpace(licensed(t, "token", "create", "-data", data, "-vendor", "-actor", "ops@vendor.example"))
	if !strings.HasPrefix(vendorToken, "lk_") {
		t.Fatalf("token create printed %q", vendorToken)
	}
	vendor := client(t, s, vendorToken)
	for _, org := range []string{"acme", "globex"} {
		if err := vendor.CreateOrganization(ctx, org, strings.ToUpper(org)); err != nil {
			t.Fatal(err)
		}
	}
	globexToken := strings.TrimSpace(licensed(t, "token", "create", "-data", data, "-org", "globex", "-actor", "admin@globex.example"))
	globex := client(t, s, globexToken)
	if _, err := globex.Org("globex").Devices(ctx); err != nil {
		t.Fatalf("globex's own devices: %v", err)
	}
	if _, err := globex.Org("acme").Devices(ctx); !errors.Is(err, portal.ErrNoAccess) {
		t.Fatalf("globex reading acme's devices: %v, want ErrNoAccess", err)
	}

	list := licensed(t, "token", "list", "-data", data)
	if n := strings.Count(list, "\n"); n != 2 {
		t.Fatalf("token list: %d lines, want 2:\n%s", n, list)
	}
	var id string
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, "\torg globex\t") {
			id = strings.Fields(line)[0]
		}
	}
	licensed(t, "token", "revoke", "-data", data, id)
	if _, err := globex.Org("globex").Devices(ctx); !isStatus(err, 401) {
		t.Fatalf("a revoked token: %v, want 401", err)
	}

	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.waited:
		s.waited <- err // for the cleanup
		if err != nil {
			t.Fatalf("licensed after SIGTERM: %v\n%s", err, s.out)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("licensed still runs 30 s after SIGTERM:\n%s", s.out)
	}
	waitFor(t, s.out, "licensed: stopped")
}

// LICENSED_VENDOR_TOKEN is a vendor's token; any other secret is refused
// (W2), and the server does not print how to make one.
func TestLicensed_W2_VendorTokenFromTheEnvironment(t *testing.T) {
	ctx := context.Background()
	s := start(t, []string{"LICENSED_VENDOR_TOKEN=s3cret-for-tests"}, "-data", t.TempDir())
	if err := client(t, s, "s3cret-for-tests").CreateOrganization(ctx, "acme", "Acme"); err != nil {
		t.Fatal(err)
	}
	if err := client(t, s, "s3cret-for-test").CreateOrganization(ctx, "globex", "Globex"); !isStatus(err, 401) {
		t.Fatalf("a wrong secret: %v, want 401", err)
	}
	if strings.Contains(s.out.String(), "no token yet") {
		t.Fatalf("the server asks for a token although it has one:\n%s", s.out)
	}
}

// A bad command line exits 2 and says how to use licensed.
func TestLicensed_BadCommandLine(t *testing.T) {
	for _, args := range [][]string{
		{"frobnicate"},
		{"serve", "-addr"},
		{"serve", "extra"},
		{"token"},
		{"token", "create", "-vendor", "-org", "acme", "-actor", "x"},
		{"token", "create", "-vendor"},
		{"token", "revoke"},
		{"serve", "-postgres-schema", "s"},
		{"serve", "-trial", "backup"},
		{"serve", "-trial", "backup=soon"},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Dir = t.TempDir()
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(out), "usage:") {
			t.Errorf("licensed %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

func isStatus(err error, status int) bool {
	var e *lkhttp.Error
	return errors.As(err, &e) && e.Status == status
}

// waitFor waits until out holds text, for 30 seconds at most.
func waitFor(t *testing.T, out *syncBuffer, text string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		ok, changed := out.has(text)
		if ok {
			return
		}
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("licensed never printed %q:\n%s", text, out)
		}
	}
}
