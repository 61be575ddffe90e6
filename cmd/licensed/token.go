package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/licensekit/license/portal"
)

// args returns the flags that name the same store, for a command to
// print.
func (f *storeFlags) args() string {
	if f.dsn != "" {
		s := "-postgres DSN" // not the DSN itself, which may hold a password
		if f.schema != "" {
			s += " -postgres-schema " + f.schema
		}
		return s
	}
	return "-data " + f.data
}

func token(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError("token needs create, list or revoke")
	}
	sub, args := args[0], args[1:]
	fl := flag.NewFlagSet("licensed token "+sub, flag.ContinueOnError)
	fl.SetOutput(stderr)
	var sf storeFlags
	sf.register(fl)
	var (
		vendor           bool
		org, actor, name string
	)
	if sub == "create" {
		fl.BoolVar(&vendor, "vendor", false, "a token of the vendor's")
		fl.StringVar(&org, "org", "", "a token of an actor of this `organization`")
		fl.StringVar(&actor, "actor", "", "the person or service the token is for, as the histories name it")
		fl.StringVar(&name, "name", "", "a note for people, such as \"CI deployment\"")
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError(err.Error())
	}
	switch {
	case sub == "create" && (vendor == (org != "") || actor == ""):
		return usageError("token create needs -actor, and one of -vendor and -org")
	case sub == "revoke" && fl.NArg() != 1:
		return usageError("token revoke needs one token ID")
	case sub != "revoke" && fl.NArg() != 0:
		return usageError(fmt.Sprintf("token %s takes no arguments, got %q", sub, fl.Args()))
	}
	st, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.close()
	signer, err := sf.signingKey()
	if err != nil {
		return err
	}
	p, err := portal.NewPortal(portal.PortalConfig{Signer: signer, Store: st.PortalStore})
	if err != nil {
		return err
	}
	ctx = portal.WithVendorActor(ctx, "licensed token")
	switch sub {
	case "create":
		secret, tok, err := p.CreateToken(ctx, portal.Principal{Vendor: vendor, Actor: portal.Actor{ID: actor, Org: org}}, name)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, secret)
		fmt.Fprintf(stderr, "licensed: token %s made; its secret, above, is shown only this once\n", tok.ID)
		return nil
	case "revoke":
		if err := p.RevokeToken(ctx, fl.Arg(0)); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "licensed: token %s revoked\n", fl.Arg(0))
		return nil
	case "list":
		var after string
		for {
			toks, next, err := p.Tokens(ctx, after, portal.MaxPage)
			if err != nil {
				return err
			}
			for _, t := range toks {
				who := "vendor"
				if !t.Principal.Vendor {
					who = "org " + t.Principal.Actor.Org
				}
				state := "valid"
				if !t.Revoked.IsZero() {
					state = "revoked " + t.Revoked.Format("2006-01-02T15:04:05Z07:00")
				}
				fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\t%s\n", t.ID, who, t.Principal.Actor.ID, strings.ReplaceAll(t.Name, "\t", " "), state)
			}
			if next == "" {
				return nil
			}
			after = next
		}
	}
	return usageError(fmt.Sprintf("unknown token command %q", sub))
}
