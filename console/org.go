package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// scope returns the operations the principal may perform on the
// organization in the path. The vendor acts as a member of every
// organization, under its own ID, as the API lets it; an organization's
// actor reaches what the portal lets it reach: its own, and the
// customers that delegated to it (V4).
func (c *Console) scope(r *http.Request, s *session) *portal.OrgScope {
	org := r.PathValue("org")
	if s.principal.Vendor {
		return c.portal.Org(portal.Actor{ID: s.principal.Actor.ID, Org: org}, org)
	}
	return c.portal.Org(s.principal.Actor, org)
}

// showProblem answers a page that could not be read: "Not found" when the
// organization is out of reach, the refusal under the page's title, or an
// internal error.
func (c *Console) showProblem(w http.ResponseWriter, r *http.Request, s *session, title string, err error) {
	c.fail(w, r, s, err, func(status int, msg string) {
		p := c.base(s, title, r.PathValue("org"))
		p.Error = msg
		p.Data = ""
		c.render(w, r, status, "problem", p)
	})
}

// done ends a form that succeeded: its message is shown on the page it
// goes back to (post, redirect, get).
func (c *Console) done(w http.ResponseWriter, r *http.Request, s *session, to, msg string) {
	s.setFlash(msg)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// --- U1 -----------------------------------------------------------------

type overviewData struct {
	Rows []softwareState
}

func (c *Console) overview(w http.ResponseWriter, r *http.Request, s *session) {
	sc := c.scope(r, s)
	ctx := r.Context()
	keys, err := sc.Keys(ctx)
	if err != nil {
		c.showProblem(w, r, s, "Overview", err)
		return
	}
	subs, err := sc.Subscriptions(ctx)
	if err != nil {
		c.showProblem(w, r, s, "Overview", err)
		return
	}
	wallet, err := sc.Wallet(ctx)
	if err != nil {
		c.showProblem(w, r, s, "Overview", err)
		return
	}
	p := c.base(s, "Overview", sc.ID())
	p.Data = overviewData{Rows: overview(keys, subs, wallet, c.policy, c.clock.Now())}
	c.render(w, r, http.StatusOK, "overview", p)
}

// --- U2 -----------------------------------------------------------------

type walletData struct {
	Kept          int
	Wallet        []productCount
	Subscriptions []portal.Subscription
	Redemptions   []portal.WalletRedemption
	Key           string // the key typed, shown again with a refusal
	Keep          bool
}

type productCount struct {
	Product string
	Count   int
}

func (c *Console) wallet(w http.ResponseWriter, r *http.Request, s *session) {
	c.showWallet(w, r, s, http.StatusOK, "", walletData{Keep: true})
}

func (c *Console) showWallet(w http.ResponseWriter, r *http.Request, s *session, status int, msg string, d walletData) {
	sc := c.scope(r, s)
	ctx := r.Context()
	wallet, err := sc.Wallet(ctx)
	if err != nil {
		c.showProblem(w, r, s, "Wallet", err)
		return
	}
	if d.Subscriptions, err = sc.Subscriptions(ctx); err != nil {
		c.showProblem(w, r, s, "Wallet", err)
		return
	}
	if d.Redemptions, err = sc.Redemptions(ctx); err != nil {
		c.showProblem(w, r, s, "Wallet", err)
		return
	}
	d.Wallet, d.Kept = sortedCounts(wallet)
	p := c.base(s, "Wallet", sc.ID())
	p.Error, p.Data = msg, d
	c.render(w, r, status, "wallet", p)
}

// redeem redeems a license key into the wallet (U2, P1): "now" consumes
// what the current term of the product's subscription still needs and
// keeps the rest; "keep" keeps them all.
func (c *Console) redeem(w http.ResponseWriter, r *http.Request, s *session) {
	sc := c.scope(r, s)
	ctx := r.Context()
	key := r.PostFormValue("key")
	mode := r.PostFormValue("consume")
	form := walletData{Key: key, Keep: mode != "now"}
	show := func(status int, msg string) { c.showWallet(w, r, s, status, msg, form) }
	if mode != "now" && mode != "keep" {
		show(http.StatusBadRequest, "Choose whether to consume the licenses now or keep them in the wallet. Nothing was changed.")
		return
	}
	consume := 0
	if mode == "now" {
		l, _, err := license.DecodeUnverified(key)
		if err != nil {
			c.fail(w, r, s, err, show)
			return
		}
		if consume, err = stillNeeded(r, sc, l); err != nil {
			c.fail(w, r, s, err, show)
			return
		}
	}
	red, err := sc.Redeem(ctx, key, consume)
	if err != nil {
		c.fail(w, r, s, err, show)
		return
	}
	c.done(w, r, s, orgPath(sc.ID(), "wallet"), "Redeemed license "+red.License+" ("+red.Product+"): "+
		strconv.Itoa(red.Consumed)+" consumed now, "+strconv.Itoa(red.Wallet)+" kept in the wallet.")
}

// stillNeeded returns how many of l's licenses the current term of its
// product's subscription still needs, at most its quantity; with no
// running subscription, its quantity, which the portal refuses with the
// reason.
func stillNeeded(r *http.Request, sc *portal.OrgScope, l *license.License) (int, error) {
	subs, err := sc.Subscriptions(r.Context())
	if err != nil {
		return 0, err
	}
	for _, sub := range subs {
		if sub.Product == l.Product && !sub.Lapsed {
			return max(0, min(l.Quantity, sub.Devices-sub.Paid)), nil
		}
	}
	return l.Quantity, nil
}

// --- U3 -----------------------------------------------------------------

type keysData struct {
	Keys        []portal.KeyUsage
	Unactivated []portal.Device
	Key         string
}

func (c *Console) keys(w http.ResponseWriter, r *http.Request, s *session) {
	c.showKeys(w, r, s, http.StatusOK, "", "")
}

func (c *Console) showKeys(w http.ResponseWriter, r *http.Request, s *session, status int, msg, key string) {
	sc := c.scope(r, s)
	d := keysData{Key: key}
	var err error
	if d.Keys, err = sc.Keys(r.Context()); err != nil {
		c.showProblem(w, r, s, "Key storage", err)
		return
	}
	if d.Unactivated, err = sc.UnactivatedDevices(r.Context()); err != nil {
		c.showProblem(w, r, s, "Key storage", err)
		return
	}
	p := c.base(s, "Key storage", sc.ID())
	p.Error, p.Data = msg, d
	c.render(w, r, status, "keys", p)
}

// addKey adds a license key to the key storage (D1), deployed to the
// devices that need it when asked (D2).
func (c *Console) addKey(w http.ResponseWriter, r *http.Request, s *session) {
	sc := c.scope(r, s)
	key := r.PostFormValue("key")
	l, err := sc.AddKey(r.Context(), key, portal.KeyOptions{AutoDistribute: r.PostFormValue("auto") == "on"})
	if err != nil {
		c.fail(w, r, s, err, func(status int, msg string) { c.showKeys(w, r, s, status, msg, key) })
		return
	}
	c.done(w, r, s, orgPath(sc.ID(), "keys"), "Added license "+l.ID+" ("+l.Product+") to the key storage.")
}

// --- U4: groups ---------------------------------------------------------

type groupsData struct {
	Groups   []portal.Group
	ID, Name string
}

func (c *Console) groups(w http.ResponseWriter, r *http.Request, s *session) {
	c.showGroups(w, r, s, http.StatusOK, "", groupsData{})
}

func (c *Console) showGroups(w http.ResponseWriter, r *http.Request, s *session, status int, msg string, d groupsData) {
	sc := c.scope(r, s)
	var err error
	if d.Groups, err = sc.Groups(r.Context()); err != nil {
		c.showProblem(w, r, s, "License groups", err)
		return
	}
	p := c.base(s, "License groups", sc.ID())
	p.Error, p.Data = msg, d
	c.render(w, r, status, "groups", p)
}

func (c *Console) createGroup(w http.ResponseWriter, r *http.Request, s *session) {
	sc := c.scope(r, s)
	d := groupsData{ID: strings.TrimSpace(r.PostFormValue("id")), Name: strings.TrimSpace(r.PostFormValue("name"))}
	if err := sc.CreateGroup(r.Context(), d.ID, d.Name); err != nil {
		c.fail(w, r, s, err, func(status int, msg string) { c.showGroups(w, r, s, status, msg, d) })
		return
	}
	c.done(w, r, s, orgPath(sc.ID(), "groups/"+d.ID), "Created the license group "+d.Name+".")
}

type groupData struct {
	Group           portal.GroupView
	Placement       []placement
	Device, License string
}

// placement is where the portal placed a member of a group (G2).
type placement struct {
	Device   string
	PlacedOn string // a license ID, or "" when unplaced
}

func (c *Console) group(w http.ResponseWriter, r *http.Request, s *session) {
	c.showGroup(w, r, s, http.StatusOK, "", groupData{})
}

func (c *Console) showGroup(w http.ResponseWriter, r *http.Request, s *session, status int, msg string, d groupData) {
	sc := c.scope(r, s)
	g, err := sc.Group(r.Context(), r.PathValue("group"))
	if err != nil {
		if c.isNoSuchGroup(w, r, s, err) {
			return
		}
		c.showProblem(w, r, s, "License group", err)
		return
	}
	on := make(map[string]string)
	for _, l := range g.Licenses {
		for _, seat := range l.Devices {
			on[seat.Device] = l.License.ID
		}
	}
	d.Group = g
	for _, dev := range g.Devices {
		d.Placement = append(d.Placement, placement{Device: dev, PlacedOn: on[dev]})
	}
	p := c.base(s, g.Name, sc.ID())
	p.Error, p.Data = msg, d
	c.render(w, r, status, "group", p)
}

// isNoSuchGroup answers "Not found" for a group that does not exist.
func (c *Console) isNoSuchGroup(w http.ResponseWriter, r *http.Request, s *session, err error) bool {
	if errors.Is(err, portal.ErrNoSuchGroup) {
		c.notFound(w, r, s)
		return true
	}
	return false
}

// joinGroup makes a device a member of the group; the portal places it
// (G1, G2).
func (c *Console) joinGroup(w http.ResponseWriter, r *http.Request, s *session) {
	sc := c.scope(r, s)
	group := r.PathValue("group")
	dev := strings.TrimSpace(r.PostFormValue("device"))
	if err := sc.JoinGroup(r.Context(), group, dev); err != nil {
		c.fail(w, r, s, err, func(status int, msg string) {
			c.showGroup(w, r, s, status, msg, groupData{Device: dev})
		})
		return
	}
	c.done(w, r, s, orgPath(sc.ID(), "groups/"+group), "Added the device "+dev+" to the group.")
}

// addToGroup puts a license of the key storage into the group (G1).
func (c *Console) addToGroup(w http.ResponseWriter, r *http.Request, s *session) {
	sc := c.scope(r, s)
	group := r.PathValue("group")
	lic := strings.TrimSpace(r.PostFormValue("license"))
	if err := sc.AddToGroup(r.Context(), group, lic); err != nil {
		c.fail(w, r, s, err, func(status int, msg string) {
			c.showGroup(w, r, s, status, msg, groupData{License: lic})
		})
		return
	}
	c.done(w, r, s, orgPath(sc.ID(), "groups/"+group), "Added the license "+lic+" to the group.")
}

// --- U4: history --------------------------------------------------------

// historyPage is how many entries a page of the history shows.
const historyPage = 50

type historyData struct {
	Entries []portal.HistoryEntry
	Org     string
	Next    int64 // the before of the older page, 0 for none
}

func (c *Console) history(w http.ResponseWriter, r *http.Request, s *session) {
	sc := c.scope(r, s)
	var before int64
	if v := r.URL.Query().Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			c.showProblem(w, r, s, "History", errBadPage)
			return
		}
		before = n
	}
	entries, next, err := sc.History(r.Context(), before, historyPage)
	if err != nil {
		c.showProblem(w, r, s, "History", err)
		return
	}
	p := c.base(s, "History", sc.ID())
	p.Data = historyData{Entries: entries, Org: sc.ID(), Next: next}
	c.render(w, r, http.StatusOK, "history", p)
}
