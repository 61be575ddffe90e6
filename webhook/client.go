package webhook

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// DefaultTimeout bounds one attempt of the default client: connecting,
// sending and reading the answer's status.
const DefaultTimeout = 10 * time.Second

// errPrivateAddress: the default client refused to connect to an address
// that is not a public one.
var errPrivateAddress = errors.New("webhook: refusing to connect to a non-public address")

// defaultClient is the client a Dispatcher uses when given none. Endpoint
// URLs come from users of the portal, so it refuses to be a way into the
// server's own network: it connects only to public unicast addresses,
// whatever a name resolves to (checked on the address dialled, after
// resolution), and does not follow redirects, which answer as failures.
func defaultClient() *http.Client {
	dialer := &net.Dialer{Timeout: DefaultTimeout, Control: refusePrivate}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // a proxy would dial on our behalf, past the check
	tr.DialContext = dialer.DialContext
	return &http.Client{
		Transport:     tr,
		Timeout:       DefaultTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// refusePrivate is a net.Dialer Control function that refuses loopback,
// private, link-local, multicast and unspecified addresses.
func refusePrivate(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %q", errPrivateAddress, address)
	}
	a := ap.Addr().Unmap()
	if !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() {
		return fmt.Errorf("%w: %s", errPrivateAddress, a)
	}
	return nil
}
