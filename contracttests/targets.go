package contracttests

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/agentmock/agentmock/openapi"
)

// Fixture values the generator relies on by default: the agents, account
// alias and voice that agentmock's embedded fixtures hold. Against another
// service, override them with Target.PathParams and Target.BaseBodies.
const (
	FixtureDigaAgent       = "11111111-1111-4111-8111-111111111111"
	FixtureItellicoAgent   = "22222222-2222-4222-8222-222222222222"
	FixtureDigaVoice       = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
	FixtureDigaIntegration = "8e3b2c1a-4f5d-4a6b-8c7d-2e3f4a5b6c01"
)

// DefaultTarget is the Target for one provider ("diga" or "itellico") at
// baseURL with key: the provider's auth header, path values naming the
// fixture agents, and create bodies the provider accepts. It is read-only
// until the caller sets Write.
func DefaultTarget(provider, baseURL, key string) (Target, error) {
	switch provider {
	case "diga":
		return Target{
			BaseURL: baseURL, Header: "Authorization", Value: "Bearer " + key,
			PathParams: map[string]string{"agent_id": FixtureDigaAgent, "integration_id": FixtureDigaIntegration},
			BaseBodies: map[string]map[string]any{
				"POST /v1/agent/": {"voice_id": FixtureDigaVoice, "language": "es"},
			},
		}, nil
	case "itellico":
		return Target{
			BaseURL: baseURL, Header: "X-API-Key", Value: key,
			PathParams: map[string]string{"account_id": "me", "agent_id": FixtureItellicoAgent},
			BaseBodies: map[string]map[string]any{
				"POST /v1/accounts/{}/agents": {
					"model":       map[string]any{"provider": "azure_openai", "model": "gpt-5-mini"},
					"transcriber": map[string]any{"provider": "deepgram"},
					"voice":       map[string]any{"provider": "elevenlabs", "voice_id": "pMsXgVXv3BLzUgSXRplE"},
				},
			},
		}, nil
	}
	return Target{}, fmt.Errorf("unknown provider %q: want diga or itellico", provider)
}

// ServedDocument fetches the document an agentmock instance serves, from its
// control API. A service without one (the real vendor) gives an error, and
// the caller falls back to a document it has.
func ServedDocument(ctx context.Context, client *http.Client, baseURL string) (*openapi.Spec, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(baseURL, "/")+"/_mock/openapi.json", nil)
	if err != nil {
		return nil, err
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /_mock/openapi.json: %s", res.Status)
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	return openapi.Load(ctx, data)
}
