package main_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// The server serves the console under /console/ and the API beside it;
// the environment's vendor token signs in to the console as the vendor
// (U1–U5 rest on it).
func TestLicensed_ConsoleBesideTheAPI(t *testing.T) {
	ctx := context.Background()
	s := start(t, []string{"LICENSED_VENDOR_TOKEN=s3cret-for-tests"}, "-data", t.TempDir())
	if err := client(t, s, "s3cret-for-tests").CreateOrganization(ctx, "acme", "Acme"); err != nil {
		t.Fatalf("the API: %v", err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	get := func(u string) (int, string) {
		t.Helper()
		res, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	status, body := get(s.url + "/console/")
	if status != http.StatusOK || !strings.Contains(body, `id="token"`) {
		t.Fatalf("GET /console/: %d, want the sign-in form\n%s", status, body)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if csrf == nil {
		t.Fatalf("no form token on the sign-in form:\n%s", body)
	}
	res, err := c.PostForm(s.url+"/console/signin", url.Values{"token": {"s3cret-for-tests"}, "csrf": {csrf[1]}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), "<h1>Vendor</h1>") || !strings.Contains(string(b), "acme") {
		t.Fatalf("signing in with the vendor's token: %d\n%s", res.StatusCode, b)
	}
	if status, body := get(s.url + "/console/static/console.css"); status != http.StatusOK || !strings.Contains(body, "max-width") {
		t.Fatalf("the style sheet: %d", status)
	}
}
