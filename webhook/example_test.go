package webhook_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/licensekit/license/webhook"
)

// A receiver checks each delivery with VerifyRequest at its own clock's
// instant, answers 400 to anything that does not verify, and 2xx once it
// has processed the event, deduplicating on the event's ID.
func ExampleVerifyRequest() {
	secret := []byte("whsec-shared-with-the-license-server")
	seen := map[string]bool{} // a real receiver keeps this in its database
	now := time.Now           // the receiver's clock

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, err := webhook.VerifyRequest(r, secret, now(), webhook.DefaultTolerance)
		if err != nil {
			http.Error(w, "bad delivery", http.StatusBadRequest)
			fmt.Println("refused:", errors.Is(err, webhook.ErrBadSignature))
			return
		}
		if !seen[d.Event.ID] {
			seen[d.Event.ID] = true
			fmt.Printf("%s for %s, attempt %d\n", d.Event.Kind, d.Event.License, d.Attempt)
		}
		w.WriteHeader(http.StatusNoContent)
	})

	// A delivery as the license server sends it, signed at 12:00.
	sent := time.Date(2028, 1, 20, 12, 0, 0, 0, time.UTC)
	now = func() time.Time { return sent.Add(3 * time.Second) } // fixed, for the example's output
	body := `{"id":"grace-started/SN-1/2028-01-20T00:00:00Z","kind":"grace-started","at":"2028-01-20T00:00:00Z","license":"SN-1","attempt":1}`
	header := webhook.Sign(secret, sent, []byte(body))
	post := func(body string) int {
		r := httptest.NewRequest(http.MethodPost, "/hooks/licensekit", strings.NewReader(body))
		r.Header.Set(webhook.SignatureHeader, header)
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		return w.Code
	}
	fmt.Println(post(body))
	// Delivered again: acknowledged, not processed twice.
	fmt.Println(post(body))
	// Changed on the way.
	fmt.Println(post(strings.Replace(body, "SN-1", "SN-2", 1)))
	// Output:
	// grace-started for SN-1, attempt 1
	// 204
	// 204
	// refused: true
	// 400
}
