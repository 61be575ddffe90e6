package http

import (
	"encoding"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/licensekit/license"
)

// openAPI returns the OpenAPI 3.1 document of rts, made from the route
// table and the Go types of its bodies, so that it describes exactly the
// routes the server serves (W1).
func openAPI(rts []route) map[string]any {
	paths := map[string]any{}
	for i := range rts {
		rt := &rts[i]
		item, _ := paths[rt.pattern].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.pattern] = item
		}
		item[strings.ToLower(rt.method)] = operation(rt)
	}
	var codes []string
	for _, e := range errorTable {
		codes = append(codes, e.code)
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "licensekit license server",
			"version":     "1",
			"description": "The license server's API over a licensekit portal. Every error answer has the body Error, whose code is stable.",
		},
		"paths": paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer"},
				"activation": map[string]any{"type": "http", "scheme": "Activation",
					"description": "A device's activation certificate, as the activation answered it: Authorization: Activation <certificate>."},
			},
			"schemas": map[string]any{
				"Error": map[string]any{
					"type":     "object",
					"required": []string{"code", "message"},
					"properties": map[string]any{
						"code":    map[string]any{"type": "string", "enum": codes},
						"message": map[string]any{"type": "string"},
					},
				},
			},
		},
	}
}

// operation describes one route.
func operation(rt *route) map[string]any {
	op := map[string]any{"operationId": rt.op, "summary": rt.summary}
	var params []any
	for _, name := range rt.pathParams() {
		params = append(params, map[string]any{
			"name": name, "in": "path", "required": true, "schema": map[string]any{"type": "string"},
		})
	}
	for _, q := range rt.query {
		params = append(params, map[string]any{
			"name": q.name, "in": "query", "description": q.about, "schema": map[string]any{"type": q.typ},
		})
	}
	if params != nil {
		op["parameters"] = params
	}
	if rt.in != nil {
		op["requestBody"] = map[string]any{
			"required": true,
			"content":  map[string]any{"application/json": map[string]any{"schema": schemaOf(rt.in, true)}},
		}
	}
	ok := map[string]any{"description": "Done."}
	if rt.out != nil {
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": schemaOf(rt.out, false)}}
	}
	op["responses"] = map[string]any{
		strconv.Itoa(rt.status): ok,
		"default": map[string]any{
			"description": "An error of the error table.",
			"content": map[string]any{"application/json": map[string]any{
				"schema": map[string]any{"$ref": "#/components/schemas/Error"},
			}},
		},
	}
	switch rt.access {
	case public:
		op["security"] = []any{}
	case device:
		op["security"] = []any{map[string]any{"activation": []string{}}}
	default:
		op["security"] = []any{map[string]any{"bearer": []string{}}}
	}
	return op
}

var (
	timeType    = reflect.TypeFor[time.Time]()
	licenseType = reflect.TypeFor[license.License]()
	rawType     = reflect.TypeFor[rawJSON]()
	textType    = reflect.TypeFor[encoding.TextMarshaler]()
)

// schemaOf returns the JSON Schema of the values of t as encoding/json
// writes them. A request's objects allow no other property, as the server
// refuses unknown fields (W4).
func schemaOf(t reflect.Type, strict bool) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawType:
		return map[string]any{"type": "object"}
	case t.Implements(textType):
		return map[string]any{"type": "string"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return schemaOf(t.Elem(), strict)
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), strict)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), strict)}
	case reflect.Struct:
		return structSchema(t, strict)
	}
	return map[string]any{}
}

// structSchema describes a struct by its JSON field names.
func structSchema(t reflect.Type, strict bool) map[string]any {
	props := map[string]any{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = schemaOf(f.Type, strict)
	}
	if t == licenseType {
		// License writes its term as a string such as "365d".
		props["term"] = map[string]any{"type": "string", "description": `days such as "365d", or a Go duration such as "720h"`}
	}
	s := map[string]any{"type": "object", "properties": props}
	if strict {
		s["additionalProperties"] = false
	}
	return s
}
