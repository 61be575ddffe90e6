package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	nethttp "net/http"
	"strings"
	"time"

	"github.com/licensekit/license"
	"github.com/licensekit/license/console"
	"github.com/licensekit/license/http"
	"github.com/licensekit/license/portal"
	"github.com/licensekit/license/webhook"
)

// vendorTokenEnv names the environment variable whose value, when set,
// is a vendor's token.
const vendorTokenEnv = "LICENSED_VENDOR_TOKEN"

func serve(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fl := flag.NewFlagSet("licensed serve", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var sf storeFlags
	sf.register(fl)
	addr := fl.String("addr", "127.0.0.1:8080", "listen on `HOST:PORT` (port 0: any free port)")
	private := fl.Bool("webhooks-private", false, "let webhooks reach loopback and private addresses (by default, public ones only)")
	grace := fl.Duration("shutdown-timeout", 10*time.Second, "how long the requests under way may take to finish on SIGINT or SIGTERM")
	verbose := fl.Bool("v", false, "log every request")
	certTTL := fl.Duration("certificate-ttl", portal.DefaultCertificateTTL, "how long an activation certificate holds: devices check in before then")
	leaseTTL := fl.Duration("lease-ttl", portal.DefaultLeaseTTL, "how long a floating license's lease holds without a heartbeat")
	trials := map[string]license.License{}
	fl.Func("trial", "offer devices a trial of `PRODUCT=TERM` (such as backup=30d), once per device; repeat for several products", func(v string) error {
		product, term, ok := strings.Cut(v, "=")
		if !ok || product == "" {
			return fmt.Errorf("%q is not PRODUCT=TERM", v)
		}
		d, err := license.ParseTerm(term)
		if err != nil {
			return err
		}
		trials[product] = license.License{Trial: true, Term: d}
		return nil
	})
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError(err.Error())
	}
	if fl.NArg() > 0 {
		return usageError(fmt.Sprintf("serve takes no arguments, got %q", fl.Args()))
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	st, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.close()
	signer, err := sf.signingKey()
	if err != nil {
		return fmt.Errorf("the vendor's signing key: %w", err)
	}

	// The portal's events go to the webhooks registered with it. The
	// dispatcher reads them from the portal, made just below.
	var p *portal.Portal
	hooks := webhook.EndpointsFunc(func(ctx context.Context) ([]webhook.Endpoint, error) {
		ws, err := p.Webhooks(ctx)
		if err != nil {
			return nil, err
		}
		eps := make([]webhook.Endpoint, len(ws))
		for i, w := range ws {
			eps[i] = webhook.Endpoint{ID: w.ID, URL: w.URL, Secret: []byte(w.Secret), Events: w.Events}
		}
		return eps, nil
	})
	wcfg := webhook.Config{Endpoints: hooks, Logger: log}
	if *private {
		wcfg.Client = &nethttp.Client{Timeout: webhook.DefaultTimeout}
	}
	dispatch, err := webhook.New(wcfg)
	if err != nil {
		return err
	}
	p, err = portal.NewPortal(portal.PortalConfig{
		Signer:         signer,
		Store:          st.PortalStore,
		CertificateTTL: *certTTL,
		LeaseTTL:       *leaseTTL,
		Trials:         trials,
		OnEvent: func(e license.Event) {
			if err := dispatch.Send(ctx, e); err != nil {
				log.Warn("webhook: event not queued", "event", e.ID, "err", err)
			}
		},
	})
	if err != nil {
		return err
	}
	auth := authenticator{portal: p}
	if tok := getenv(vendorTokenEnv); tok != "" {
		auth.vendor, auth.hasVendor = sha256.Sum256([]byte(tok)), true
	}
	// Devices authenticate with the certificates this server's key signed.
	certs, err := license.NewVerifier(signer.VerifyingKey())
	if err != nil {
		return err
	}
	api, err := http.NewServer(http.ServerConfig{Portal: p, Auth: auth, Verifier: certs, Logger: log})
	if err != nil {
		return err
	}
	// The web console answers under /console/, signed in with the same
	// tokens; the API answers everything else.
	con, err := console.New(console.Config{Portal: p, Auth: auth, Logger: log})
	if err != nil {
		return err
	}
	mux := nethttp.NewServeMux()
	mux.Handle("/console/", con)
	mux.Handle("/", api)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "licensed: listening on http://%s, %s\n", ln.Addr(), st.what)
	if !auth.hasVendor {
		if toks, _, err := p.Tokens(ctx, "", 1); err == nil && len(toks) == 0 {
			fmt.Fprintf(stdout, "licensed: no token yet. Make the vendor's with\n"+
				"    licensed token create %s -vendor -actor YOU\n"+
				"or start the server with %s set to a secret of your choice.\n", sf.args(), vendorTokenEnv)
		}
	}

	srv := &nethttp.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRun()
	go dispatch.Run(runCtx)

	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), *grace)
	defer cancel()
	err = srv.Shutdown(shutdown)
	fmt.Fprintln(stdout, "licensed: stopped")
	return err
}

// authenticator is the portal's tokens, and the vendor's token of the
// environment, if any.
type authenticator struct {
	portal    *portal.Portal
	vendor    [sha256.Size]byte // SHA-256 of LICENSED_VENDOR_TOKEN
	hasVendor bool
}

// Authenticate compares the secret with the environment's token in
// constant time, then asks the portal.
func (a authenticator) Authenticate(ctx context.Context, secret string) (portal.Principal, error) {
	if a.hasVendor {
		h := sha256.Sum256([]byte(secret))
		if subtle.ConstantTimeCompare(h[:], a.vendor[:]) == 1 {
			return portal.Principal{Vendor: true, Actor: portal.Actor{ID: "vendor"}}, nil
		}
	}
	return a.portal.Authenticate(ctx, secret)
}
