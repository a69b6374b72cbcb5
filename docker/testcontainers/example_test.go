//go:build testcontainers

// Package testcontainers_test shows agentmock started by testcontainers-go.
// It sits in its own module, so that agentmock does not depend on Docker's
// client, and behind a build tag, since it needs a Docker engine:
//
//	cd docker/testcontainers && go test -tags testcontainers ./...
package testcontainers_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

func TestAgentmockInAContainer(t *testing.T) {
	ctx := context.Background()
	ctr, err := testcontainers.Run(ctx, "agentmock:latest", // docker build -t agentmock:latest .
		testcontainers.WithExposedPorts("3000/tcp", "4010/tcp"),
		testcontainers.WithEnv(map[string]string{"AGENTMOCK_FSYNC": "false"}),
		testcontainers.WithWaitStrategy(wait.ForHTTP("/_mock/health").WithPort("3000/tcp")),
	)
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatal(err)
	}
	diga, err := ctr.PortEndpoint(ctx, "3000/tcp", "http")
	if err != nil {
		t.Fatal(err)
	}

	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, diga+"/v1/agent/", nil)
	req.Header.Set("Authorization", "Bearer sk-diga-demo")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/agent/: %s", res.Status)
	}
	fmt.Println("agentmock's Diga API is at", diga)
}
