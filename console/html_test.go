package console_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"testing"
)

// tag is a start tag of a page: its name and attributes.
type tag struct {
	name  string
	attrs map[string]string
}

var (
	tagRE  = regexp.MustCompile(`<([a-zA-Z][a-zA-Z0-9]*)((?:\s+[^\s=>/]+(?:="[^"]*")?)*)\s*/?>`)
	attrRE = regexp.MustCompile(`([^\s=>/]+)(?:="([^"]*)")?`)
)

// startTags lists the start tags of a page that html/template rendered:
// its attribute values are always double-quoted and escaped, so a
// regular expression reads them reliably.
func startTags(body string) []tag {
	var out []tag
	for _, m := range tagRE.FindAllStringSubmatch(body, -1) {
		t := tag{name: m[1], attrs: map[string]string{}}
		for _, a := range attrRE.FindAllStringSubmatch(m[2], -1) {
			t.attrs[a[1]] = a[2]
		}
		out = append(out, t)
	}
	return out
}

// checkPage fails unless the page is plain accessible HTML: one h1,
// headings in order (never skipping a level), unique ids, a viewport for
// phone width, and every input, textarea and select but hidden fields and
// buttons labelled by a <label for> naming its id (U1–U5).
func checkPage(t *testing.T, name, body string) {
	t.Helper()
	for _, p := range pageProblems(name, body) {
		t.Error(p)
	}
}

// pageProblems lists what checkPage finds wrong with a page.
func pageProblems(name, body string) []string {
	var problems []string
	errorf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	tags := startTags(body)
	ids, labels := map[string]bool{}, map[string]bool{}
	h1, last := 0, 0
	viewport := false
	for _, tg := range tags {
		if id, ok := tg.attrs["id"]; ok {
			if ids[id] {
				errorf("%s: id %q used twice", name, id)
			}
			ids[id] = true
		}
		switch tg.name {
		case "label":
			labels[tg.attrs["for"]] = true
		case "meta":
			viewport = viewport || (tg.attrs["name"] == "viewport" && tg.attrs["content"] == "width=device-width, initial-scale=1")
		case "h1", "h2", "h3", "h4", "h5", "h6":
			level, _ := strconv.Atoi(tg.name[1:])
			if level == 1 {
				h1++
			}
			if level > last+1 {
				errorf("%s: <%s> after <h%d>: a heading level skipped", name, tg.name, last)
			}
			last = level
		}
	}
	if h1 != 1 {
		errorf("%s: %d <h1>, want one", name, h1)
	}
	if !viewport {
		errorf("%s: no viewport for phone width", name)
	}
	fields := 0
	for _, tg := range tags {
		if tg.name != "input" && tg.name != "textarea" && tg.name != "select" {
			continue
		}
		switch tg.attrs["type"] {
		case "hidden", "submit", "button", "reset":
			continue
		}
		fields++
		id := tg.attrs["id"]
		if id == "" || !labels[id] {
			errorf("%s: <%s name=%q> has no <label for> matching its id %q", name, tg.name, tg.attrs["name"], id)
		}
	}
	if name == "signin" && fields == 0 {
		errorf("the tokenizer found no field on the sign-in form")
	}
	return problems
}

// U1–U5: every page of the console, for each kind of visitor, is plain
// accessible HTML, including the refusal and not-found pages.
func TestPages_U1toU5_AccessibleHTML(t *testing.T) {
	h := newHarness(t)
	fill(t, h)
	if err := h.as("acme").Delegate(h.ctx, "reseller"); err != nil {
		t.Fatal(err)
	}
	anon := h.browser()
	checkPage(t, "signin", anon.get("/console/signin").body)
	checkPage(t, "signin refused", anon.post("/console/signin", url.Values{"token": {"nope"}}).body)
	checkPage(t, "signin without token", anon.postRaw("/console/signin", url.Values{}).body)

	a := h.signIn("acme")
	for _, p := range []string{"", "wallet", "keys", "groups", "groups/paris", "history", "customers", "delegations"} {
		checkPage(t, "acme "+p, a.get("/console/orgs/acme/"+p).body)
	}
	checkPage(t, "not found", a.get("/console/orgs/globex/").body)
	checkPage(t, "vendor not found", a.get("/console/vendor/codes").body)
	a.get("/console/orgs/acme/wallet")
	checkPage(t, "wallet refusal", a.post("/console/orgs/acme/wallet", url.Values{"key": {"bad"}, "consume": {"now"}}).body)
	checkPage(t, "csrf refused", a.postRaw("/console/orgs/acme/wallet", url.Values{}).body)

	r := h.signIn("reseller")
	checkPage(t, "reseller customers", r.get("/console/orgs/reseller/customers").body)

	v := h.signIn("vendor")
	for _, p := range []string{"", "codes", "vouchers", "revocations"} {
		checkPage(t, "vendor "+p, v.get("/console/vendor/"+p).body)
	}
	checkPage(t, "vendor on acme", v.get("/console/orgs/acme/").body)
}

// The checker itself fails on what it must catch.
func TestPages_CheckerCatchesUnlabelledFields(t *testing.T) {
	bad := `<meta name="viewport" content="width=device-width, initial-scale=1"><h1>X</h1><h3>Y</h3>` +
		`<input type="text" id="a" name="a"><textarea name="b"></textarea><input type="hidden" name="csrf" value="1">`
	problems := pageProblems("bad", bad)
	if len(problems) != 3 {
		t.Fatalf("problems found: %q; want the unlabelled input, the unlabelled textarea and the skipped level", problems)
	}
}
