module github.com/licensekit/license/console/browsertest

go 1.26.0

require (
	github.com/chromedp/chromedp v0.23.0
	github.com/licensekit/license v0.0.0-20261127120118-00c503f2c4fb
)

require (
	github.com/benbjohnson/clock v1.3.5 // indirect
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	golang.org/x/crypto v0.58.0 // indirect
)
