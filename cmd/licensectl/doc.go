// Licensectl is the vendor's command-line tool for license keys. It
// generates signing keys, issues (signs) licenses, verifies license keys
// and inspects them, using package github.com/licensekit/license.
//
// Usage:
//
//	licensectl <command> [flags] [arguments]
//
// The commands are:
//
//	keygen   generate a signing key and print its verifying key
//	pub      print the verifying key of a signing key
//	issue    sign a license and print its license key
//	verify   verify a license key and check its dates
//	inspect  decode a license key WITHOUT verifying its signature
//
// Run "licensectl <command> -h" for a command's flags, and
// "licensectl -version" for the version.
//
// # keygen
//
//	licensectl keygen -name NAME -out FILE
//
// Keygen generates a signing key named NAME, such as acme-2026, and writes
// its secret text to FILE with mode 0600. It never overwrites an existing
// file. It prints the verifying key, which applications trust, on standard
// output; the verifying key is public.
//
// # pub
//
//	licensectl pub -key FILE
//
// Pub prints the verifying key of the signing key in FILE, as keygen
// printed it. Pub and issue refuse a signing key file that its group or
// others may read or write, as ssh does: run chmod 600 on it.
//
// # issue
//
//	licensectl issue -key FILE -id ID -product P [-edition E]
//		[-type server|workstation|any]
//		[-scheme device|vm|cpu|core|user|unmetered] [-quantity N]
//		[-features a,b] [-org O] [-starts DATE|RFC3339]
//		[-expires DATE|RFC3339 | -term 1y|6mo|30d|720h] [-trial] [-json FILE]
//
// Issue signs a license with the signing key in FILE and prints its license
// key, one line, on standard output. With -json, the license starts from a
// JSON template (the License JSON form, which also sets fields no flag
// covers: min_devices, partner, custom, issued_at, …); flags given on the
// command line override the template, and -expires or -term given on the
// command line replaces the template's term or expiry. "-json -" reads the
// template from standard input. The license is issued now, to the second,
// unless the template sets issued_at. Features are separated by commas.
// An instant is a date such as 2027-01-01, meaning midnight UTC, or RFC
// 3339. A term is days (30d), a Go duration (720h), or years and months of
// fixed length: 1y is 365 days and 1mo 30 days, whatever the calendar.
//
// # verify
//
//	licensectl verify -pub KEY|FILE [-pub KEY|FILE …] [-at DATE|RFC3339] [FILE|-]
//
// Verify reads a license key from FILE, or from standard input when FILE
// is absent or "-", verifies its signature against the trusted verifying
// keys given with -pub (each a key's text or a file holding one), and
// checks that the license is in force at the instant -at (default now); a
// term license counts as activated at that instant. Line breaks and spaces
// in the key are ignored. On success it
// prints on standard output a JSON object:
//
//	{"verified": true, "key_id": "name+hash", "digest": "<hex>", "license": {…}}
//
// # inspect
//
//	licensectl inspect [FILE|-]
//
// Inspect decodes a license key without verifying its signature and prints
// the same JSON object with "verified": false, and a warning on standard
// error. Nothing it prints can be trusted.
//
// # Exit status
//
// Licensectl exits 0 on success; 1 when the operation failed: the license
// key does not verify, the license is not in force, a file cannot be read
// or written, or a file's contents do not parse; and 2 on usage errors:
// unknown commands or flags, missing required flags, bad flag values, or
// flags and template that describe a license that cannot be signed.
// Every error message starts with "licensectl <command>:", once; none
// ever repeats a signing key, or any part of one: a file that cannot be
// opened, an unexpected argument or a long unknown flag is described, not
// repeated, since it may be a key pasted in the wrong place.
package main
