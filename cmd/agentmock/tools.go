package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/agentmock/agentmock/contracttests"
	"github.com/agentmock/agentmock/openapi"
)

// errChecksFailed makes the contract subcommand exit 1 after its report.
var errChecksFailed = errors.New("contract checks failed")

// healthcheck asks a running agentmock whether it is ready, for Docker's
// HEALTHCHECK in an image that has no curl.
func healthcheck(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("agentmock healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "health URL (default: /_mock/health on the Diga address, env AGENTMOCK_DIGA_ADDR)")
	timeout := fs.Duration("timeout", 2*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *url == "" {
		base, err := localURL(getenv, "AGENTMOCK_DIGA_ADDR", ":3000")
		if err != nil {
			return err
		}
		*url = base + "/_mock/health"
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("not healthy: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("not healthy: %s answered %s", *url, res.Status)
	}
	return nil
}

// localURL is the URL that reaches the address a provider listens on, as
// its environment variable (or the default) gives it.
func localURL(getenv func(string) string, env, def string) (string, error) {
	addr := getenv(env)
	if addr == "" {
		addr = def
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%s %q: %w", env, addr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port), nil
}

// contract runs the spec-driven contract checks against a base URL: a
// running agentmock, or the real vendor with real keys.
func contract(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("agentmock contract", flag.ContinueOnError)
	fs.SetOutput(stderr)
	provider := fs.String("provider", "diga", "diga or itellico")
	base := fs.String("base-url", "", "service to check (default: agentmock on this machine, at AGENTMOCK_DIGA_ADDR or AGENTMOCK_ITELLICO_ADDR)")
	key := fs.String("key", "", "API key (default: the fixtures' demo key)")
	specFile := fs.String("spec", "", "OpenAPI document to derive checks from (default: the service's /_mock/openapi.json, else the embedded document)")
	write := fs.Bool("write", false, "also probe POST, PUT and PATCH operations; off by default so that a real service is only read")
	verbose := fs.Bool("v", false, "print every check, not only failures")
	var params []string
	fs.Func("param", "path parameter value, name=value (repeatable), e.g. agent_id=…", func(s string) error {
		if !strings.Contains(s, "=") {
			return fmt.Errorf("want name=value, not %q", s)
		}
		params = append(params, s)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	defaults := map[string][3]string{
		"diga":     {"AGENTMOCK_DIGA_ADDR", ":3000", "sk-diga-demo"},
		"itellico": {"AGENTMOCK_ITELLICO_ADDR", ":4010", "itl-demo"},
	}
	d, ok := defaults[*provider]
	if !ok {
		return fmt.Errorf("--provider must be diga or itellico, not %q", *provider)
	}
	if *base == "" {
		var err error
		if *base, err = localURL(getenv, d[0], d[1]); err != nil {
			return err
		}
	}
	if *key == "" {
		*key = d[2]
	}
	target, err := contracttests.DefaultTarget(*provider, *base, *key)
	if err != nil {
		return err
	}
	target.Write = *write
	target.Client = &http.Client{Timeout: 30 * time.Second}
	for _, p := range params {
		name, value, _ := strings.Cut(p, "=")
		target.PathParams[name] = value
	}

	var spec *openapi.Spec
	switch {
	case *specFile != "":
		var data []byte
		if data, err = os.ReadFile(*specFile); err == nil {
			spec, err = openapi.Load(ctx, data)
		}
	default:
		spec, err = contracttests.ServedDocument(ctx, target.Client, *base)
		if err != nil {
			fmt.Fprintf(stderr, "no served document (%v): using the embedded %s document\n", err, *provider)
			var data []byte
			if data, err = openapi.Embedded(*provider); err == nil {
				spec, err = openapi.Load(ctx, data)
			}
		}
	}
	if err != nil {
		return err
	}
	rep, err := contracttests.Run(ctx, spec, target)
	if err != nil {
		return err
	}
	for _, c := range rep.Checks {
		if !c.Passed || *verbose {
			mark := "ok  "
			if !c.Passed {
				mark = "FAIL"
			}
			fmt.Fprintf(stdout, "%s %s %s %s=%s accept=%v status=%d %s\n", mark, c.Operation, c.Field, c.Rule, c.Value, c.Accept, c.Status, c.Detail)
		}
	}
	fmt.Fprintln(stdout, rep.Summary())
	if rep.Failed() > 0 {
		return errChecksFailed
	}
	return nil
}
