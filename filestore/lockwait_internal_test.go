//go:build unix && !solaris && !aix

package filestore

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/licensekit/license"
)

// Waiting for a document's lock ends with the caller's context, whether
// another process holds the file lock or another goroutine holds the
// in-process one; the lock is not leaked.
func TestLock_WaitEndsWithTheContext(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.SaveInstallation(ctx, "app", license.InstallationState{}); err != nil {
		t.Fatal(err)
	}
	wait := func(what string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		done := make(chan error, 1)
		go func() {
			_, err := s.LoadInstallation(ctx, "app")
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s: Load = %v, want context.DeadlineExceeded", what, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: Load still waits for the lock 10s after its context ended", what)
		}
	}

	// Another process: another open file description holds flock.
	d := s.installation("app")
	f, err := os.OpenFile(d.lockPath(), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := flock(f, true, true); err != nil {
		t.Fatal(err)
	}
	wait("flock held elsewhere")
	f.Close()

	// Another goroutine: an update in progress.
	release := make(chan struct{})
	inside := make(chan struct{})
	go func() {
		h, err := s.lockNow(ctx, d, true, false)
		if err != nil {
			t.Error(err)
			close(inside)
			return
		}
		close(inside)
		<-release
		h.unlock()
	}()
	<-inside
	wait("an update in progress")
	close(release)

	if _, err := s.LoadInstallation(ctx, "app"); err != nil {
		t.Errorf("Load once the lock is free: %v", err)
	}
}

// Installations do not share a lock: while one is locked, exclusively,
// in this process and by flock, another is read and saved without
// waiting.
func TestLock_InstallationsDoNotShareALock(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	h, err := s.lockNow(ctx, s.installation("app"), true, true)
	if err != nil {
		t.Fatal(err)
	}
	defer h.unlock()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := s.SaveInstallation(ctx, "other", license.InstallationState{})
	if err != nil {
		t.Fatalf("Save of another installation while app is locked: %v", err)
	}
	if _, err := s.SaveInstallation(ctx, "other", license.InstallationState{Version: v}); err != nil {
		t.Fatalf("second Save of another installation while app is locked: %v", err)
	}
	if _, err := s.LoadInstallation(ctx, "other"); err != nil {
		t.Fatalf("Load of another installation while app is locked: %v", err)
	}
}
