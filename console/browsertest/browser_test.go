package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromePath is the Chromium binary the tests drive.
var chromePath string

// findChrome returns the path of Chromium: $CHROME, or "chromium" on the
// PATH. Otherwise it returns why the tests skip.
func findChrome() (path, skip string) {
	if p := os.Getenv("CHROME"); p != "" {
		return p, ""
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p, ""
	}
	return "", "no Chromium: install Debian's chromium package (.ci/run does, when run as root) or set CHROME to its path"
}

// stepTimeout bounds each step in the browser: a page that never shows
// what a step waits for fails the test, with what it showed instead.
const stepTimeout = 20 * time.Second

// The size of the window the screens are seen, and photographed, in.
const viewWidth, viewHeight = 1024, 480

// browser is a headless Chromium for one test, and where its screenshots
// go.
type browser struct {
	ctx   context.Context
	shots string // LICENSEKIT_SCREENSHOTS, or a temporary directory
}

// newBrowser starts a headless Chromium for the test, stopped when the test
// ends. The flags let it run as root in a container: no sandbox, no GPU,
// and /tmp rather than a small /dev/shm.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromePath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(viewWidth, viewHeight),
	)
	alloc, stopAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, stop := chromedp.NewContext(alloc)
	t.Cleanup(func() { stop(); stopAlloc() })
	// The first run starts the browser and binds its life to ctx, which
	// must therefore have no deadline of its own.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium (%s): %v", chromePath, err)
	}
	b := &browser{ctx: ctx, shots: os.Getenv("LICENSEKIT_SCREENSHOTS")}
	if b.shots == "" {
		b.shots = t.TempDir()
	} else if err := os.MkdirAll(b.shots, 0o755); err != nil {
		t.Fatal(err)
	}
	return b
}

// user is a person at the console: a tab in a browser context of its own,
// with its own cookies.
type user struct {
	t     *testing.T
	ctx   context.Context
	base  string // the server's URL
	name  string // for the screenshots' names
	shots string // their directory
	// status is the HTTP status of the page the tab shows.
	status int64
}

// newUser opens a tab for a person, in a new browser context of the
// browser.
func (b *browser) newUser(t *testing.T, s *server, name string) *user {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	u := &user{t: t, ctx: ctx, base: s.url, name: name, shots: b.shots}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(viewWidth, viewHeight)); err != nil {
		t.Fatalf("open a tab for %s: %v", name, err)
	}
	return u
}

// run runs one step, in stepTimeout at most, and fails the test with what
// the page showed if the step fails.
func run[T any](u *user, what string, a chromedp.Action[T]) T {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		u.t.Fatalf("%s: %s: %v\n%s", u.name, what, err, u.describe())
	}
	return v
}

// describe says where the tab is and what it shows, for a failure.
func (u *user) describe() string {
	ctx, cancel := context.WithTimeout(u.ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return fmt.Sprintf("at %s the page shows:\n%s", loc, text)
}

// open goes to path on the server.
func (u *user) open(path string) {
	u.t.Helper()
	u.status = run(u, "open "+path, chromedp.NavigateResponse(u.base+path)).Status
}

// press clicks the button labelled label and waits for the page its form
// leads to.
func (u *user) press(label string) {
	u.t.Helper()
	u.click(`//button[normalize-space()=`+xq(label)+`]`, "press "+label)
}

// follow clicks the link of the main navigation labelled label and waits
// for its page.
func (u *user) follow(label string) {
	u.t.Helper()
	u.click(`//nav//a[normalize-space()=`+xq(label)+`]`, "follow "+label)
}

// click clicks the element the XPath sel finds and waits for the page it
// leads to.
func (u *user) click(sel, what string) {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(sel, chromedp.NodeVisible))
	if err != nil {
		u.t.Fatalf("%s: %s: %v\n%s", u.name, what, err, u.describe())
	}
	u.status = resp.Status
}

// fill types value into the empty input or text area whose label reads
// label: finding it by its label checks that it has one.
func (u *user) fill(label, value string) {
	u.t.Helper()
	sel := field(label)
	run(u, "fill in "+label, chromedp.SendKeys(sel, value, chromedp.NodeVisible))
	if got := run(u, "read "+label, chromedp.Value(sel)); got != value {
		u.t.Fatalf("%s: %s holds %q, want %q", u.name, label, got, value)
	}
}

// field is the XPath of the form control that the label reading label
// names with its for attribute.
func field(label string) string {
	return `//*[(self::input or self::textarea or self::select) and @id=//label[normalize-space()=` + xq(label) + `]/@for]`
}

// choose clicks the label reading label, which checks its radio button.
func (u *user) choose(label string) {
	u.t.Helper()
	run(u, "choose "+label, chromedp.Click(`//label[normalize-space()=`+xq(label)+`]`, chromedp.NodeVisible))
	checked := run(u, "read "+label, chromedp.Evaluate[bool](`document.getElementById(`+jsq(u.labelFor(label))+`).checked`))
	if !checked {
		u.t.Fatalf("%s: a click on the label %q does not check its button", u.name, label)
	}
}

// labelFor returns the for attribute of the label reading label.
func (u *user) labelFor(label string) string {
	u.t.Helper()
	a := run(u, "the label "+label, chromedp.AttributeValue(`//label[normalize-space()=`+xq(label)+`]`, "for"))
	if !a.Exists || a.Value == "" {
		u.t.Fatalf("%s: the label %q names no control", u.name, label)
	}
	return a.Value
}

// heading returns the text of the page's only h1.
func (u *user) heading() string {
	u.t.Helper()
	hs := run(u, "read the headings", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll("h1"), h => h.innerText.trim())`))
	if len(hs) != 1 {
		u.t.Fatalf("%s: the page has %d h1 headings %q, want one\n%s", u.name, len(hs), hs, u.describe())
	}
	return hs[0]
}

// want fails the test unless the page has this HTTP status and heading.
func (u *user) want(status int64, heading string) {
	u.t.Helper()
	if h := u.heading(); u.status != status || h != heading {
		u.t.Fatalf("%s: HTTP %d with heading %q, want %d %q\n%s", u.name, u.status, h, status, heading, u.describe())
	}
}

// text returns the text of the element the selector finds.
func (u *user) text(sel string) string {
	u.t.Helper()
	return strings.TrimSpace(run(u, "read "+sel, chromedp.Text(sel, chromedp.NodeVisible)))
}

// number returns the first whole number in the text of the element sel.
func (u *user) number(sel string) int {
	u.t.Helper()
	s := u.text(sel)
	n, err := strconv.Atoi(firstNumber.FindString(s))
	if err != nil {
		u.t.Fatalf("%s: %s reads %q, with no number", u.name, sel, s)
	}
	return n
}

var firstNumber = regexp.MustCompile(`\d+`)

// table returns the rows of the page's table that has a column header
// reading column: each row maps its column headers to its cells' text,
// row headers included.
func (u *user) table(column string) []map[string]string {
	u.t.Helper()
	rows := run(u, "read the table of "+column, chromedp.Evaluate[[]map[string]string](`(() => {
		const head = t => t.tHead ? t.tHead.rows[0] : t.rows[0];
		const t = Array.from(document.querySelectorAll("table")).find(t =>
			head(t) && Array.from(head(t).cells, c => c.innerText.trim()).includes(`+jsq(column)+`));
		if (!t) return null;
		const names = Array.from(head(t).cells, c => c.innerText.trim());
		return Array.from(t.rows).filter(r => r !== head(t)).map(r => {
			const row = {};
			Array.from(r.cells).forEach((c, i) => row[names[i]] = c.innerText.trim());
			return row;
		});
	})()`))
	if rows == nil {
		u.t.Fatalf("%s: no table with a column %q\n%s", u.name, column, u.describe())
	}
	return rows
}

// signIn signs in with token from the console's front door.
func (u *user) signIn(token string) {
	u.t.Helper()
	u.open("/console/")
	u.want(200, "Sign in") // where the console sends a stranger
	u.fill("Token", token)
	u.shot("signin")
	u.press("Sign in")
}

// shot saves a screenshot of the whole page as NAME-SCREEN.png.
func (u *user) shot(screen string) {
	u.t.Helper()
	png := run(u, "screenshot "+screen, chromedp.FullScreenshot(100))
	path := filepath.Join(u.shots, u.name+"-"+screen+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		u.t.Fatal(err)
	}
}

// xq quotes s as an XPath string literal.
func xq(s string) string {
	if !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return `'` + s + `'`
}

// jsq quotes s as a JavaScript string literal.
func jsq(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// hrefs reads the href attributes of the links the CSS selector finds, as
// written in the page.
func hrefs(css string) chromedp.Action[[]string] {
	return chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(` + jsq(css) + `), a => a.getAttribute("href"))`)
}
