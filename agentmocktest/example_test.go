package agentmocktest_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/agentmock/agentmock/agentmocktest"
)

// panicTB lets an example use the helper's methods outside a test.
type panicTB struct{}

func (panicTB) Helper()                           {}
func (panicTB) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

func call(method, url, key, body string) (int, string) {
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(data)
}

// Start serves both APIs; in a test, New(t) does the same and cleans up.
func ExampleStart() {
	srv, err := agentmocktest.Start(agentmocktest.WithSeed(1), agentmocktest.WithClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)))
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	status, _ := call("POST", srv.DigaURL+"/v1/agent/", srv.DigaKey, `{"voice_id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","language":"es"}`)
	fmt.Println("create:", status)
	status, body := call("PATCH", srv.DigaURL+"/v1/agent/11111111-1111-4111-8111-111111111111", srv.DigaKey, `{"max_reminder_count":-1}`)
	fmt.Println("invalid patch:", status, body)
	// Output:
	// create: 201
	// invalid patch: 422 {"detail":[{"loc":["body","max_reminder_count"],"msg":"Input should be greater than or equal to 0","type":"greater_than_equal"}]}
}

// Requests reads the journal: every call, with its validation errors.
func ExampleServer_Requests() {
	srv, _ := agentmocktest.Start()
	defer srv.Close()

	call("PATCH", srv.DigaURL+"/v1/agent/11111111-1111-4111-8111-111111111111", srv.DigaKey, `{"language":"xx"}`)
	for _, r := range srv.Requests(panicTB{}, agentmocktest.RequestFilter{OnlyInvalid: true}) {
		fmt.Println(r.Method, r.PathTemplate, r.Status, r.Violations[0].Field)
	}
	// Output:
	// PATCH /v1/agent/{agent_id} 422 body.language
}

// AddFault makes the next matching call fail the way a real service can.
func ExampleServer_AddFault() {
	srv, _ := agentmocktest.Start()
	defer srv.Close()

	wait := 2 * time.Second
	srv.AddFault(panicTB{}, agentmocktest.Fault{Method: "GET", Path: "/v1/voice/", RetryAfter: &wait, Count: 1})
	first, _ := call("GET", srv.DigaURL+"/v1/voice/", srv.DigaKey, "")
	second, _ := call("GET", srv.DigaURL+"/v1/voice/", srv.DigaKey, "")
	fmt.Println(first, second)
	// Output:
	// 429 200
}

// SetClock fixes the timestamps agentmock writes, for snapshot tests.
func ExampleServer_SetClock() {
	srv, _ := agentmocktest.Start()
	defer srv.Close()

	srv.SetClock(panicTB{}, time.Date(2030, 6, 1, 9, 0, 0, 0, time.UTC))
	_, body := call("PATCH", srv.DigaURL+"/v1/agent/11111111-1111-4111-8111-111111111111", srv.DigaKey, `{"name":"Reception"}`)
	fmt.Println(strings.Contains(body, `"modified_at":"2030-06-01T09:00:00Z"`))
	// Output:
	// true
}

// Reset puts the fixtures back between tests.
func ExampleServer_Reset() {
	srv, _ := agentmocktest.Start()
	defer srv.Close()

	call("DELETE", srv.DigaURL+"/v1/agent/11111111-1111-4111-8111-111111111111", srv.DigaKey, "")
	srv.Reset(panicTB{})
	status, _ := call("GET", srv.DigaURL+"/v1/agent/11111111-1111-4111-8111-111111111111", srv.DigaKey, "")
	fmt.Println(status)
	// Output:
	// 200
}
