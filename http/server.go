package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// DefaultMaxBodyBytes is the largest request body a Server reads when
// ServerConfig.MaxBodyBytes is zero.
const DefaultMaxBodyBytes = 1 << 20

// Authenticator tells who a bearer token's secret authenticates (W2).
// *portal.Portal is one. Authenticate returns an error when the secret
// names no principal; the Server answers any such error with 401
// "unauthenticated", so that a failing store never lets a request
// through.
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (portal.Principal, error)
}

// ServerConfig configures a Server. Portal and Auth are required; every
// other field's zero value is documented.
type ServerConfig struct {
	// Portal runs every operation. Required.
	Portal *portal.Portal
	// Auth authenticates each request's bearer token. Required.
	Auth Authenticator
	// Verifier verifies the activation certificates with which devices
	// authenticate (W2): it must trust the verifying key of the Portal's
	// Signer, and after a rotation that of the Signers before it, whose
	// certificates devices still hold. Nil: the routes that need a
	// certificate (check-ins, deactivation, leases) fail with 500 and a
	// line in the log; activations and trials are served.
	Verifier *license.Verifier
	// Clock times the requests the Logger records. Nil means the system
	// clock.
	Clock license.Clock
	// MaxBodyBytes is the largest request body read; a larger one is
	// refused with 413 and changes nothing (W4). Zero means
	// DefaultMaxBodyBytes; it must not be negative.
	MaxBodyBytes int64
	// Logger receives one record per request at debug level, and the
	// details of every internal error, which the answer leaves out. Nil
	// discards them.
	Logger *slog.Logger
}

// Server is the license server's HTTP API over a portal: every operation
// of portal.Portal and portal.OrgScope, one route each, with JSON bodies,
// bearer-token authentication and one error table (W1–W4). Build it with
// NewServer and serve it with net/http. It is safe for concurrent use.
type Server struct {
	portal  *portal.Portal
	auth    Authenticator
	certs   *license.Verifier // of the devices' certificates; may be nil
	clock   license.Clock
	maxBody int64
	log     *slog.Logger
	mux     *http.ServeMux
	openapi []byte // the OpenAPI document, made once from the routes
}

// NewServer returns a Server for cfg. It returns an error wrapping
// license.ErrInvalidInput when Portal or Auth is missing or MaxBodyBytes
// is negative.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.Portal == nil || cfg.Auth == nil {
		return nil, fmt.Errorf("%w: NewServer needs a Portal and an Auth", license.ErrInvalidInput)
	}
	if cfg.MaxBodyBytes < 0 {
		return nil, fmt.Errorf("%w: negative MaxBodyBytes %d", license.ErrInvalidInput, cfg.MaxBodyBytes)
	}
	s := &Server{portal: cfg.Portal, auth: cfg.Auth, certs: cfg.Verifier, clock: cfg.Clock, maxBody: cfg.MaxBodyBytes, log: cfg.Logger}
	if s.clock == nil {
		s.clock = clock.New()
	}
	if s.maxBody == 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	doc, err := json.Marshal(openAPI(routes))
	if err != nil {
		return nil, fmt.Errorf("http: writing the OpenAPI document: %w", err)
	}
	s.openapi = doc
	s.mux = http.NewServeMux()
	for i := range routes {
		rt := &routes[i]
		s.mux.HandleFunc(rt.method+" "+rt.pattern, func(w http.ResponseWriter, r *http.Request) {
			s.serve(w, r, rt)
		})
	}
	// Whatever the mux does not route gets the error table's body.
	s.mux.HandleFunc("/", s.notRouted)
	return s, nil
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// notRouted answers a request that no route's pattern matched: 404, or
// 405 with the methods the path allows. The mux sends both here, as the
// catch-all pattern matches every path and method.
func (s *Server) notRouted(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		s.writeError(w, r, ErrNoRoute)
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	s.writeError(w, r, ErrMethodNotAllowed)
}

// call is one request to one route, as a handler sees it.
type call struct {
	s    *Server
	r    *http.Request
	p    portal.Principal
	cert *license.Certificate // a device route's credential: the activation it acts on
}

func (c *call) ctx() context.Context { return c.r.Context() }

// path returns the path parameter name.
func (c *call) path(name string) string { return c.r.PathValue(name) }

// org returns the operations the principal may perform on the
// organization in the path. The vendor acts as a member of every
// organization, under its own ID; an organization's actor reaches what
// the portal lets it reach (its own, and customers that delegated to it).
func (c *call) org() *portal.OrgScope {
	org := c.path("org")
	if c.p.Vendor {
		return c.s.portal.Org(portal.Actor{ID: c.p.Actor.ID, Org: org}, org)
	}
	return c.s.portal.Org(c.p.Actor, org)
}

// limit returns the query's page size, defaultLimit when absent.
func (c *call) limit() (int, error) {
	n, err := c.queryInt("limit", defaultLimit, 32)
	return int(n), err
}

// before returns the query's history cursor, 0 when absent.
func (c *call) before() (int64, error) { return c.queryInt("before", 0, 64) }

// queryInt returns the query parameter name as a number of at most bits
// bits, or def when it is absent: a larger number is refused here rather
// than wrapped around into range.
func (c *call) queryInt(name string, def int64, bits int) (int64, error) {
	v := c.r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("%w: query parameter %s: %q is not a number in range", ErrMalformedRequest, name, v)
	}
	return n, nil
}

// serve authenticates the request, decodes its body, runs the route and
// writes its answer.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, rt *route) {
	start := s.clock.Now()
	status, err := s.run(w, r, rt)
	if err != nil {
		status = s.writeError(w, r, err)
	}
	s.log.LogAttrs(r.Context(), slog.LevelDebug, "request",
		slog.String("op", rt.op), slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.Int("status", status), slog.Duration("took", s.clock.Now().Sub(start)))
}

// run serves one request and returns the status written, or the error to
// answer with, having written nothing.
func (s *Server) run(w http.ResponseWriter, r *http.Request, rt *route) (int, error) {
	c := &call{s: s, r: r}
	switch rt.access {
	case public:
	case device:
		cert, err := s.authenticateDevice(r)
		if err != nil {
			return 0, err
		}
		c.cert = cert
	default:
		p, err := s.authenticate(r)
		if err != nil {
			return 0, err
		}
		if rt.access == vendorOnly && !p.Vendor {
			return 0, ErrVendorOnly
		}
		if p.Vendor {
			c.r = r.WithContext(portal.WithVendorActor(r.Context(), p.Actor.ID))
		}
		c.p = p
	}
	var in any
	if rt.newIn != nil {
		in = rt.newIn()
		if err := s.decode(w, r, in); err != nil {
			return 0, err
		}
	} else if err := s.noBody(w, r); err != nil {
		return 0, err
	}
	out, err := rt.run(c, in)
	if err != nil {
		return 0, err
	}
	if out == nil {
		w.WriteHeader(rt.status)
		return rt.status, nil
	}
	if raw, ok := out.(rawJSON); ok {
		writeJSON(w, rt.status, raw)
		return rt.status, nil
	}
	b, err := json.Marshal(out)
	if err != nil {
		return 0, fmt.Errorf("http: encoding the answer of %s: %w", rt.op, err)
	}
	writeJSON(w, rt.status, b)
	return rt.status, nil
}

// authenticate returns the principal of the request's bearer token.
func (s *Server) authenticate(r *http.Request) (portal.Principal, error) {
	h := r.Header.Get("Authorization")
	scheme, secret, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
		return portal.Principal{}, ErrUnauthenticated
	}
	p, err := s.auth.Authenticate(r.Context(), secret)
	if err != nil {
		// Never the secret: only that it was refused, and why.
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "token refused", slog.String("error", err.Error()))
		return portal.Principal{}, ErrUnauthenticated
	}
	return p, nil
}

// decode reads the request's body, one JSON value with no unknown field
// and nothing after it, into v (W4).
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	body := http.MaxBytesReader(w, r.Body, s.maxBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return fmt.Errorf("%w: data after the JSON value", ErrMalformedRequest)
		}
		return bodyError(err)
	}
	return nil
}

// noBody refuses a body on a route that takes none.
func (s *Server) noBody(w http.ResponseWriter, r *http.Request) error {
	n, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, s.maxBody))
	if err != nil {
		return bodyError(err)
	}
	if n > 0 {
		return fmt.Errorf("%w: this route takes no body", ErrMalformedRequest)
	}
	return nil
}

// bodyError classifies an error reading a body.
func bodyError(err error) error {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, tooLarge.Limit)
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%w: empty body", ErrMalformedRequest)
	}
	return fmt.Errorf("%w: %w", ErrMalformedRequest, err)
}

// writeError answers with err's line of the error table, and returns the
// status written.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) int {
	line, msg := classify(err)
	if line.status >= http.StatusInternalServerError {
		s.log.LogAttrs(r.Context(), slog.LevelError, "internal error",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("error", err.Error()))
	}
	switch line.err {
	case ErrUnauthenticated:
		w.Header().Set("WWW-Authenticate", `Bearer realm="licensekit"`)
	case ErrDeviceUnauthenticated:
		w.Header().Set("WWW-Authenticate", `Activation realm="licensekit"`)
	}
	b, _ := json.Marshal(errorBody{Code: line.code, Message: msg}) // two strings always encode
	writeJSON(w, line.status, b)
	return line.status
}

func writeJSON(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(b)
	w.Write(newline)
}

var newline = []byte("\n")

// pruneExport collects the entries a prune exports, which the answer
// carries. It reads what the portal wrote as JSON Lines.
type pruneExport struct{ bytes.Buffer }

func (e *pruneExport) entries() ([]portal.HistoryEntry, error) {
	var out []portal.HistoryEntry
	dec := json.NewDecoder(&e.Buffer)
	for {
		var h portal.HistoryEntry
		if err := dec.Decode(&h); err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("http: reading the pruned history: %w", err)
		}
		out = append(out, h)
	}
}
