package provider

import (
	"context"
	"net/http"

	"github.com/agentmock/agentmock/openapi"
	"github.com/agentmock/agentmock/store"
	"github.com/getkin/kin-openapi/openapi3"
)

// Request is what a handler gets: a routed, authenticated, validated call.
type Request struct {
	Ctx    context.Context
	HTTP   *http.Request
	Route  *openapi.Route
	Tenant string
	// Body is the decoded JSON body (json.Number for numbers), or nil.
	Body any
	// Raw is the body as sent.
	Raw []byte
	// Scratch, for a list page, holds the documents its page reads
	// (PageParams.Query); nil otherwise. The server resets it for another
	// request once the answer is written: nothing read into it may be kept
	// past the response.
	Scratch *store.Arena
}

// Response is what a handler answers. Body is encoded with the schema the
// operation declares for status; a json.RawMessage is sent as is.
type Response struct {
	Status int
	Body   any
	// Checked is the schema the body was validated against as it was made
	// (an agent merged and checked in Resource.finish, then encoded). When
	// it is the schema the operation declares for status, the answer is
	// not decoded and validated a second time: that was a quarter of a
	// PATCH (BenchmarkPatchHandler with and without response validation).
	Checked *openapi3.Schema
}

// Handler is a provider behaviour bound to one operation.
type Handler func(req *Request) (Response, error)
