package http_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	lkhttp "github.com/licensekit/license/http"
)

// openAPIDoc is what the tests read of the OpenAPI document.
type openAPIDoc struct {
	OpenAPI string `json:"openapi"`
	Paths   map[string]map[string]struct {
		OperationID string `json:"operationId"`
		Parameters  []struct {
			Name, In string
		} `json:"parameters"`
		RequestBody *struct {
			Content map[string]struct {
				Schema struct {
					AdditionalProperties *bool `json:"additionalProperties"`
				} `json:"schema"`
			} `json:"content"`
		} `json:"requestBody"`
		Responses map[string]json.RawMessage `json:"responses"`
		Security  []map[string][]string      `json:"security"`
	} `json:"paths"`
}

// W1: the server serves, without a token, an OpenAPI 3.1 document in which
// every route is, and every operation of which is a route, with its path
// parameters, body, success status and security.
func TestOpenAPI_W1_DocumentIsTheRouteTable(t *testing.T) {
	h := newHarness(t)
	a := h.send("GET", "/v1/openapi.json", "", "")
	if a.Status != http.StatusOK {
		t.Fatalf("GET /v1/openapi.json = %d %s", a.Status, a.Body)
	}
	var doc openAPIDoc
	if err := json.Unmarshal([]byte(a.Body), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q; want 3.1.0", doc.OpenAPI)
	}
	routes := map[string]lkhttp.Route{}
	for _, rt := range lkhttp.Routes() {
		routes[rt.Method+" "+rt.Pattern] = rt
	}
	n := 0
	for path, item := range doc.Paths {
		for method, op := range item {
			n++
			key := strings.ToUpper(method) + " " + path
			rt, ok := routes[key]
			if !ok {
				t.Errorf("the document has %s, which is no route", key)
				continue
			}
			if op.OperationID != rt.Op {
				t.Errorf("%s: operationId %q; want %q", key, op.OperationID, rt.Op)
			}
			var pathParams []string
			for _, p := range op.Parameters {
				if p.In == "path" {
					pathParams = append(pathParams, p.Name)
					if !strings.Contains(path, "{"+p.Name+"}") {
						t.Errorf("%s: parameter %s is not in the path", key, p.Name)
					}
				}
			}
			if strings.Count(path, "{") != len(pathParams) {
				t.Errorf("%s: path parameters %v", key, pathParams)
			}
			if (op.RequestBody != nil) != rt.Body {
				t.Errorf("%s: request body %v; the route takes one: %v", key, op.RequestBody != nil, rt.Body)
			}
			if op.RequestBody != nil {
				s := op.RequestBody.Content["application/json"].Schema
				if s.AdditionalProperties == nil || *s.AdditionalProperties {
					t.Errorf("%s: the request body allows unknown properties; the server refuses them (W4)", key)
				}
			}
			if _, ok := op.Responses[strconv.Itoa(rt.Status)]; !ok {
				t.Errorf("%s: no response %d", key, rt.Status)
			}
			if _, ok := op.Responses["default"]; !ok {
				t.Errorf("%s: no default (error) response", key)
			}
			if secured := len(op.Security) > 0; secured == rt.Public {
				t.Errorf("%s: security %v; public route: %v", key, op.Security, rt.Public)
			}
		}
	}
	if n != len(routes) {
		t.Errorf("the document has %d operations; there are %d routes", n, len(routes))
	}
	var ops []string
	for _, rt := range routes {
		ops = append(ops, rt.Op)
	}
	slices.Sort(ops)
	if len(slices.Compact(ops)) != len(routes) {
		t.Error("two routes share an operation ID")
	}
}
