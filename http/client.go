package http

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/licensekit/license"
)

// DefaultMaxResponseBytes is the largest answer a Client reads when
// ClientConfig.MaxResponseBytes is zero.
const DefaultMaxResponseBytes = 64 << 20

// ClientConfig configures a Client. Every field's zero value is
// documented.
type ClientConfig struct {
	// HTTPClient sends the requests. Nil means http.DefaultClient.
	HTTPClient *http.Client
	// MaxResponseBytes is the largest answer read; a larger one fails.
	// Zero means DefaultMaxResponseBytes.
	MaxResponseBytes int64
}

// Client calls a license server's API: one method per route, each with
// the portal's own types, so that a program uses a remote portal as it
// would a local one. The vendor's operations are methods of Client; an
// organization's are those of the OrgClient that Client.Org returns,
// which mirror portal.OrgScope.
//
// An error answer comes back as an *Error, which matches with errors.Is
// the sentinel error the server met, such as portal.ErrNoSuchDevice, as
// a local portal's error would. A Client is safe for concurrent use.
type Client struct {
	base    string // the base URL, without a trailing slash
	auth    string // the Authorization header
	hc      *http.Client
	maxResp int64
}

// NewClient returns a Client of the server at baseURL (such as
// "https://licenses.example.com"), that authenticates with the bearer
// token's secret. It returns an error wrapping license.ErrInvalidInput
// for a base URL that is not an absolute http or https URL.
func NewClient(baseURL, token string, cfg ClientConfig) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: base URL %q is not an absolute http or https URL", license.ErrInvalidInput, baseURL)
	}
	c := &Client{base: strings.TrimSuffix(u.String(), "/"), hc: cfg.HTTPClient, maxResp: cfg.MaxResponseBytes}
	if token != "" {
		c.auth = "Bearer " + token
	}
	if c.hc == nil {
		c.hc = http.DefaultClient
	}
	if c.maxResp == 0 {
		c.maxResp = DefaultMaxResponseBytes
	}
	return c, nil
}

// OrgClient is the operations the client's token may perform on one
// organization, as portal.OrgScope has them. The server checks the
// token's access at each call: a foreign organization fails with
// portal.ErrNoAccess, as a missing one does.
type OrgClient struct {
	c   *Client
	org string
}

// Org returns the operations on organization id.
func (c *Client) Org(id string) *OrgClient { return &OrgClient{c: c, org: id} }

// ID returns the organization's ID.
func (o *OrgClient) ID() string { return o.org }

// do calls operation op with body in (nil for none), the query and the
// path's parameters, and decodes the answer into an Out.
func do[Out any](ctx context.Context, c *Client, op string, in any, query url.Values, args ...string) (Out, error) {
	return send[Out](ctx, c, c.auth, op, in, query, args...)
}

// doAs is do with the Authorization header auth in place of the
// client's: a device's activation certificate.
func doAs[Out any](ctx context.Context, c *Client, auth, op string, in any, args ...string) (Out, error) {
	return send[Out](ctx, c, auth, op, in, nil, args...)
}

// send is do with the Authorization header auth ("" for none).
func send[Out any](ctx context.Context, c *Client, auth, op string, in any, query url.Values, args ...string) (Out, error) {
	var out Out
	rt, ok := byOp[op]
	if !ok {
		return out, fmt.Errorf("http: no operation %s", op)
	}
	for _, a := range args {
		if a == "" || a == "." || a == ".." {
			return out, fmt.Errorf("%w: %s: %q cannot be a path segment", license.ErrInvalidInput, op, a)
		}
	}
	u := c.base + rt.fill(args)
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return out, fmt.Errorf("http: %s: encoding the request: %w", op, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, rt.method, u, body)
	if err != nil {
		return out, fmt.Errorf("http: %s: %w", op, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return out, fmt.Errorf("http: %s: %w", op, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.maxResp+1))
	if err != nil {
		return out, fmt.Errorf("http: %s: reading the answer: %w", op, err)
	}
	if int64(len(b)) > c.maxResp {
		return out, fmt.Errorf("http: %s: the answer exceeds %d bytes", op, c.maxResp)
	}
	if resp.StatusCode >= 300 {
		return out, errorFromBody(resp.StatusCode, b)
	}
	if rt.out == nil {
		return out, nil
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return out, fmt.Errorf("http: %s: reading the answer: %w", op, err)
	}
	return out, nil
}

// call0 calls an operation that gives no answer body.
func call0(ctx context.Context, c *Client, op string, in any, args ...string) error {
	_, err := do[none](ctx, c, op, in, nil, args...)
	return err
}

// orgDo calls an operation of the organization's.
func orgDo[Out any](ctx context.Context, o *OrgClient, op string, in any, args ...string) (Out, error) {
	return do[Out](ctx, o.c, op, in, nil, append([]string{o.org}, args...)...)
}

// orgCall0 calls an operation of the organization's that gives no answer
// body.
func orgCall0(ctx context.Context, o *OrgClient, op string, in any, args ...string) error {
	return call0(ctx, o.c, op, in, append([]string{o.org}, args...)...)
}

// escapeSegment escapes a path parameter as one segment.
func escapeSegment(s string) string { return url.PathEscape(s) }

// OpenAPI returns the server's OpenAPI document, which needs no token.
func (c *Client) OpenAPI(ctx context.Context) ([]byte, error) {
	return do[rawJSON](ctx, c, "GetOpenAPI", nil, nil)
}
