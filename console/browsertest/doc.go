// Package browsertest tests the web console of the license server in a
// real browser: headless Chromium, driven with chromedp, against a
// licensed process built from ../../cmd/licensed and serving on loopback
// with the embedded SQLite store. The tests sign in with the server's
// tokens, redeem a key into the wallet, place a device in a license group,
// follow a partner's customers as delegations come and go, and check that
// a form without its security token and another organization's pages are
// refused. They save a screenshot of each screen they visit.
//
// The package holds only tests. Run them from this directory with
//
//	go test ./...
//
// They need Chromium ("chromium" on the PATH, or its path in the CHROME
// environment variable) and skip without it; .ci/run installs Debian's
// chromium package when it is missing. The screenshots go to the
// directory LICENSEKIT_SCREENSHOTS names, or to a temporary one.
package browsertest
