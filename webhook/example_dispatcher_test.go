package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
	"github.com/licensekit/license/webhook"
)

// A server sends each event to the endpoints registered for its kind; a
// delivery that fails is retried after the backoff. A server calls Run;
// here a mock clock and DeliverDue step through the retries.
func ExampleDispatcher() {
	answers := []int{http.StatusServiceUnavailable, http.StatusNoContent}
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("endpoint got", r.Header.Get(webhook.EventIDHeader))
		w.WriteHeader(answers[0])
		answers = answers[1:]
	}))
	defer endpoint.Close()

	clk := clock.NewMock()
	clk.Set(time.Date(2028, 1, 20, 0, 0, 0, 0, time.UTC))
	d, err := webhook.New(webhook.Config{
		Endpoints: webhook.EndpointList{{
			ID:     "acme-crm",
			URL:    endpoint.URL,
			Secret: []byte("whsec-shared-with-acme"),
			Events: []license.EventKind{license.EventGraceStarted, license.EventRevoked},
		}},
		Clock:  clk,
		Client: endpoint.Client(), // the default client refuses loopback
	})
	if err != nil {
		panic(err)
	}

	ctx := context.Background()
	_ = d.Send(ctx, license.Event{ID: "grace-started/SN-1/2028-01-20T00:00:00Z", Kind: license.EventGraceStarted, At: clk.Now(), License: "SN-1"})
	_ = d.Send(ctx, license.Event{ID: "renewed/SN-2/2028-01-20T00:00:00Z", Kind: license.EventRenewed, At: clk.Now(), License: "SN-2"})

	_, err = d.DeliverDue(ctx)
	fmt.Println(err)
	next, _ := d.NextDue()
	fmt.Println("retry at", next.Format(time.TimeOnly))
	clk.Set(next)
	_, err = d.DeliverDue(ctx)
	fmt.Println(err, d.Stats().Delivered)
	// Output:
	// endpoint got grace-started/SN-1/2028-01-20T00:00:00Z
	// webhook: delivery of event "grace-started/SN-1/2028-01-20T00:00:00Z" to endpoint "acme-crm", attempt 1: webhook: endpoint answered with a status other than 2xx (503 Service Unavailable)
	// retry at 00:01:00
	// endpoint got grace-started/SN-1/2028-01-20T00:00:00Z
	// <nil> 1
}
