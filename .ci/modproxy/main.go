// Command modproxy writes a file-system Go module proxy (for
// GOPROXY=file://DIR) serving the modules of this repository as a user
// outside it would fetch them: each at a pseudo-version of a commit, zipped
// from git as the go command zips a module. .ci/run uses it to build the
// nested modules (sqlite, postgres, …) outside the repository, against the
// core at the version their go.mod requires, with no workspace and no
// replace: what a user who runs "go get" of them gets.
//
// Usage:
//
//	modproxy [-deps-only] -repo DIR -out PROXYDIR MODDIR...
//
// Each MODDIR (such as sqlite) is served at the pseudo-version of the
// repository's HEAD, printed one per line as "module@version"; each module
// of this repository that a MODDIR's go.mod requires (the core, and
// others) is served at the version required, read from the commit that
// version names. With -deps-only, only those are served, as the go.mod of
// the working tree requires them: what "go mod tidy" of a nested module
// needs (.ci/tidy).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

const core = "github.com/licensekit/license"

func main() {
	repo := flag.String("repo", ".", "the repository")
	out := flag.String("out", "", "the proxy directory to write")
	depsOnly := flag.Bool("deps-only", false, "serve only what each MODDIR's go.mod, as it is in the working tree, requires of this repository")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		log.Fatal("usage: modproxy -repo DIR -out PROXYDIR MODDIR...")
	}
	head, err := git(*repo, "rev-parse", "HEAD")
	if err != nil {
		log.Fatal(err)
	}
	served := map[string]bool{}
	for _, dir := range flag.Args() {
		var gomod []byte
		if *depsOnly {
			gomod, err = os.ReadFile(filepath.Join(*repo, dir, "go.mod"))
		} else {
			var s string
			s, err = git(*repo, "show", head+":"+dir+"/go.mod")
			gomod = []byte(s)
		}
		if err != nil {
			log.Fatal(err)
		}
		f, err := modfile.ParseLax(dir+"/go.mod", gomod, nil)
		if err != nil {
			log.Fatal(err)
		}
		if !*depsOnly {
			v, err := serve(*repo, *out, f.Module.Mod.Path, dir, head)
			if err != nil {
				log.Fatal(err)
			}
			fmt.Printf("%s@%s\n", f.Module.Mod.Path, v)
		}
		for _, r := range f.Require {
			if r.Mod.Path != core && !strings.HasPrefix(r.Mod.Path, core+"/") || served[r.Mod.String()] {
				continue
			}
			rev, err := module.PseudoVersionRev(r.Mod.Version)
			if err != nil {
				log.Fatalf("%s/go.mod requires %s, not a pseudo-version of a commit here: %v", dir, r.Mod, err)
			}
			full, err := git(*repo, "rev-parse", "--verify", rev+"^{commit}")
			if err != nil {
				log.Fatalf("%s/go.mod requires %s: no commit %s here", dir, r.Mod, rev)
			}
			got, err := serve(*repo, *out, r.Mod.Path, strings.TrimPrefix(strings.TrimPrefix(r.Mod.Path, core), "/"), full)
			if err != nil {
				log.Fatal(err)
			}
			if got != r.Mod.Version {
				log.Fatalf("%s/go.mod requires %s, but that commit's pseudo-version is %s", dir, r.Mod, got)
			}
			served[r.Mod.String()] = true
		}
	}
}

// serve writes module path, from dir of the repository at commit rev, to
// the proxy, at rev's pseudo-version, and returns the version.
func serve(repo, out, path, dir, rev string) (string, error) {
	when, err := git(repo, "show", "-s", "--format=%ct", rev)
	if err != nil {
		return "", err
	}
	var secs int64
	if _, err := fmt.Sscan(when, &secs); err != nil {
		return "", err
	}
	t := time.Unix(secs, 0).UTC()
	v := module.PseudoVersion("v0", "", t, rev[:12])
	esc, err := module.EscapePath(path)
	if err != nil {
		return "", err
	}
	at := filepath.Join(out, esc, "@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		return "", err
	}
	gomod := "go.mod"
	if dir != "" {
		gomod = dir + "/go.mod"
	}
	mod, err := exec.Command("git", "-C", repo, "show", rev+":"+gomod).Output()
	if err != nil {
		return "", fmt.Errorf("git show %s:%s: %w", rev, gomod, err)
	}
	info, _ := json.Marshal(struct {
		Version string
		Time    time.Time
	}{v, t})
	var buf bytes.Buffer
	if err := zip.CreateFromVCS(&buf, module.Version{Path: path, Version: v}, repo, rev, dir); err != nil {
		return "", fmt.Errorf("zip %s@%s: %w", path, v, err)
	}
	for name, data := range map[string][]byte{v + ".info": info, v + ".mod": mod, v + ".zip": buf.Bytes()} {
		if err := os.WriteFile(filepath.Join(at, name), data, 0o644); err != nil {
			return "", err
		}
	}
	list, _ := os.ReadFile(filepath.Join(at, "list"))
	if !strings.Contains(string(list), v+"\n") {
		list = append(list, v+"\n"...)
		if err := os.WriteFile(filepath.Join(at, "list"), list, 0o644); err != nil {
			return "", err
		}
	}
	return v, nil
}

func git(repo string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", repo}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(b)), nil
}
