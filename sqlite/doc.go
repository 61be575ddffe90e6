// Package sqlite is licensekit's embedded store: installations and a
// portal's data in one SQLite file, through the pure-Go driver
// modernc.org/sqlite (no cgo).
package sqlite
