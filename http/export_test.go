package http

import (
	"log/slog"
	"net/http"
)

// Route is a line of the route table, as the tests see it.
type Route struct {
	Method, Pattern, Op string
	Vendor, Public      bool // who may call it
	Device              bool // authenticated by an activation certificate
	Body                bool // whether it takes a body
	Status              int  // of success
}

// Routes returns the route table.
func Routes() []Route {
	out := make([]Route, len(routes))
	for i, rt := range routes {
		out[i] = Route{Method: rt.method, Pattern: rt.pattern, Op: rt.op,
			Vendor: rt.access == vendorOnly, Public: rt.access == public, Device: rt.access == device, Body: rt.in != nil, Status: rt.status}
	}
	return out
}

// ErrorLine is a line of the error table, as the tests see it.
type ErrorLine struct {
	Name   string
	Err    error
	Status int
	Code   string
}

// ErrorTable returns the error table.
func ErrorTable() []ErrorLine {
	out := make([]ErrorLine, len(errorTable))
	for i, e := range errorTable {
		out[i] = ErrorLine{Name: e.name, Err: e.err, Status: e.status, Code: e.code}
	}
	return out
}

// Fill returns the route's path with args in place of its parameters.
func Fill(op string, args ...string) string { return byOp[op].fill(args) }

// WriteError answers with err as a Server does.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	(&Server{log: slog.New(slog.DiscardHandler)}).writeError(w, r, err)
}
