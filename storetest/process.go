package storetest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// processEnv marks a process that RunProcesses started: it holds the name
// of the test the process runs and the process's number, as "name/i".
const processEnv = "LICENSEKIT_STORETEST_PROCESS"

// What a process prints to its parent, each at the start of a line.
const (
	readyLine  = "READY"
	resultLine = "RESULT "
)

// RunProcesses starts n processes of the running test binary, each
// running only the test named helper, with env(i) added to the
// environment of process i (env may be nil). The helper calls ChildNumber
// first, then ChildReady once it is ready to work, with its store open,
// and ChildReport with what it did. When all n are ready, RunProcesses
// lets them go at once, so that they work on the store at the same time.
// It returns, in order, what each process reported, decoded into an R,
// and the time from that start until the last process ended.
//
// A process that fails or ends without a report fails t; the processes
// still running when t ends are killed.
func RunProcesses[R any](ctx context.Context, t *testing.T, helper string, n int, env func(i int) []string) ([]R, time.Duration) {
	t.Helper()
	children := make([]*child, n)
	for i := range children {
		vars := []string{processEnv + "=" + helper + "/" + strconv.Itoa(i)}
		if env != nil {
			vars = append(vars, env(i)...)
		}
		children[i] = startChild(ctx, t, helper, vars)
	}
	for _, c := range children {
		c.line(t, readyLine)
	}
	start := time.Now()
	for _, c := range children {
		_ = c.stdin.Close()
	}
	results := make([]R, n)
	for i, c := range children {
		if err := json.Unmarshal([]byte(c.line(t, resultLine)), &results[i]); err != nil {
			t.Fatalf("%s process %d: its report: %v", helper, i, err)
		}
		if err := c.cmd.Wait(); err != nil {
			t.Errorf("%s process %d: %v\nstderr:\n%s", helper, i, err, c.stderr.String())
		}
	}
	return results, time.Since(start)
}

// ChildNumber returns the number, 0 to n-1, of this process among those
// RunProcesses started to run test t. When t is not running in such a
// process, as in a plain go test, it skips t.
func ChildNumber(t *testing.T) int {
	t.Helper()
	name, number, _ := strings.Cut(os.Getenv(processEnv), "/")
	if name != t.Name() {
		t.Skip("runs only in a process that storetest.RunProcesses starts")
	}
	i, err := strconv.Atoi(number)
	if err != nil {
		t.Fatalf("%s=%q: %v", processEnv, os.Getenv(processEnv), err)
	}
	return i
}

// ChildReady tells the parent that this process is ready to work, and
// returns when the parent lets all its processes go.
func ChildReady() {
	fmt.Println(readyLine)
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent closes it
}

// ChildReport sends r, as JSON, to the parent, which RunProcesses
// returns.
func ChildReport(t *testing.T, r any) {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(resultLine + string(b))
}

// child is a process that RunProcesses started.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Scanner
	stderr bytes.Buffer
}

// startChild starts the test binary as a process that runs test run
// only, with env added to its environment; it is killed when t ends, if
// still running.
func startChild(ctx context.Context, t *testing.T, run string, env []string) *child {
	t.Helper()
	c := &child{cmd: exec.CommandContext(ctx, os.Args[0], "-test.run=^"+run+"$", "-test.count=1")}
	c.cmd.Env = append(os.Environ(), env...)
	c.cmd.Stderr = &c.stderr
	var err error
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c.out = bufio.NewScanner(stdout)
	c.out.Buffer(nil, 1<<20)
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.cmd.Process.Kill()
		_ = c.cmd.Wait()
	})
	return c
}

// line returns the rest of the first line c prints that starts with
// prefix, skipping the others, such as those of the testing package.
func (c *child) line(t *testing.T, prefix string) string {
	t.Helper()
	for c.out.Scan() {
		if s, ok := strings.CutPrefix(c.out.Text(), prefix); ok {
			return s
		}
	}
	_ = c.cmd.Wait()
	t.Fatalf("a process ended before it said %q: %v\nstderr:\n%s", prefix, c.out.Err(), c.stderr.String())
	return ""
}
