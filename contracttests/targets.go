package contracttests

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/agentmock/agentmock/mock"
	"github.com/agentmock/agentmock/mock/diga"
	"github.com/agentmock/agentmock/mock/itellico"
	"github.com/agentmock/agentmock/openapi"
)

// Fixture values the generator relies on by default: the agents and voice
// that agentmock's embedded fixtures hold. Against another service,
// override them with Target.PathParams and Target.BaseBodies.
const (
	FixtureDigaAgent       = diga.FixtureAgent
	FixtureItellicoAgent   = itellico.FixtureAgent
	FixtureDigaVoice       = diga.FixtureVoice
	FixtureDigaIntegration = diga.FixtureIntegration
)

// DefaultTarget is the Target for one provider of agentmock's registry at
// baseURL with key: the provider's auth header, path values naming its
// fixture records, and create bodies it accepts, all from the provider's
// own Descriptor. It is read-only until the caller sets Write.
func DefaultTarget(provider, baseURL, key string) (Target, error) {
	d, ok := mock.Descriptor(provider)
	if !ok {
		var names []string
		for _, d := range mock.Registry() {
			names = append(names, d.Name)
		}
		return Target{}, fmt.Errorf("unknown provider %q: want one of %s", provider, strings.Join(names, ", "))
	}
	return Target{
		BaseURL: baseURL, Header: d.Header, Value: d.Scheme + key,
		PathParams: maps.Clone(d.PathParams), BaseBodies: maps.Clone(d.BaseBodies),
	}, nil
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
