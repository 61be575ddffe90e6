package browsertest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/licensekit/license"
	lkhttp "github.com/licensekit/license/http"
)

// vendorToken is the vendor's token of every server the tests start, in
// LICENSED_VENDOR_TOKEN.
const vendorToken = "vendor-token-for-the-browser-tests"

// licensedBin is the licensed binary TestMain builds; skipReason, when
// set, says why the tests cannot run.
var licensedBin, skipReason string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	chromePath, skipReason = findChrome()
	if skipReason != "" {
		return m.Run() // every test skips, saying why
	}
	dir, err := os.MkdirTemp("", "licensed-browsertest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	licensedBin = filepath.Join(dir, "licensed")
	build := exec.Command("go", "build", "-o", licensedBin, ".")
	build.Dir = filepath.Join("..", "..", "cmd", "licensed")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ../../cmd/licensed: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// server is a licensed process serving on a free port of loopback with
// the embedded store, and the vendor's view of it.
type server struct {
	url    string              // http://127.0.0.1:PORT
	data   string              // its -data directory
	vendor *lkhttp.Client      // the API, with the vendor's token
	signer *license.SigningKey // the vendor's signing key, which the server trusts
}

var listeningOn = regexp.MustCompile(`listening on (http://\S+?),`)

// startServer starts licensed and waits until it listens. It is stopped
// when the test ends; what it printed is in the test's log if it failed.
func startServer(t *testing.T) *server {
	t.Helper()
	s := &server{data: t.TempDir()}
	logPath := filepath.Join(t.TempDir(), "licensed.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	out, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(licensedBin, "serve", "-addr", "127.0.0.1:0", "-data", s.data)
	cmd.Env = append(os.Environ(), "LICENSED_VENDOR_TOKEN="+vendorToken)
	cmd.Stdout, cmd.Stderr = w, logFile
	err = cmd.Start()
	w.Close() // the child holds its own copy
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		out.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("licensed printed:\n%s", b)
		}
		logFile.Close()
	})
	// The first line says where it listens; the rest goes to the log.
	lines := bufio.NewReader(out)
	first, err := lines.ReadString('\n')
	logFile.WriteString(first)
	m := listeningOn.FindStringSubmatch(first)
	if m == nil {
		t.Fatalf("licensed did not say where it listens (%v): %q", err, first)
	}
	s.url = m[1]
	go lines.WriteTo(logFile)

	s.vendor = s.client(t, vendorToken)
	key, err := os.ReadFile(filepath.Join(s.data, "signing.key"))
	if err != nil {
		t.Fatal(err)
	}
	if s.signer, err = license.ParseSigningKey(strings.TrimSpace(string(key))); err != nil {
		t.Fatal(err)
	}
	return s
}

// createOrg creates an organization and returns a token of one of its
// members, made with "licensed token create" as an administrator would.
func (s *server) createOrg(t *testing.T, id, name string) (token string) {
	t.Helper()
	if err := s.vendor.CreateOrganization(context.Background(), id, name); err != nil {
		t.Fatalf("create organization %s: %v", id, err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(licensedBin, "token", "create", "-data", s.data, "-org", id, "-actor", "admin@"+id+".example")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("licensed token create -org %s: %v\n%s", id, err, stderr.Bytes())
	}
	return strings.TrimSpace(stdout.String())
}

// key signs a license key of product, counting devices, valid from now
// for the given number of days.
func (s *server) key(t *testing.T, id, product string, quantity, days int) string {
	t.Helper()
	return s.sign(t, license.License{ID: id, Product: product, Scheme: license.SchemePerDevice, Quantity: quantity}, days)
}

// sign signs a license key of l, issued now and valid for the given number
// of days.
func (s *server) sign(t *testing.T, l license.License, days int) string {
	t.Helper()
	l.IssuedAt = time.Now().UTC().Truncate(time.Second)
	l.Expiry = l.IssuedAt.AddDate(0, 0, days)
	k, err := s.signer.Sign(&l)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// client returns the API with token.
func (s *server) client(t *testing.T, token string) *lkhttp.Client {
	t.Helper()
	c, err := lkhttp.NewClient(s.url, token, lkhttp.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
