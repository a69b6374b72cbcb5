package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/agentmock/agentmock/contracttests"
	"github.com/agentmock/agentmock/fixtures"
	"github.com/agentmock/agentmock/mock"
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
		_, o := flags(getenv, io.Discard)
		base, err := dialURL(*o.addrs[mock.Registry()[0].Name])
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

// dialURL is the URL that reaches a listen address from this machine: a
// wildcard host (":3000", "0.0.0.0:3000") is dialled on the loopback.
func dialURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("address %q: %w", addr, err)
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
	// The defaults are agentmock's own: where `agentmock serve` listens with
	// this environment, and the embedded fixtures' first key.
	_, o := flags(getenv, io.Discard)
	fx, err := fixtures.Load("")
	if err != nil {
		return err
	}
	d, ok := mock.Descriptor(*provider)
	if !ok {
		return fmt.Errorf("--provider must be one of %s, not %q", strings.Join(providerNames(), ", "), *provider)
	}
	addr, demoKey := *o.addrs[d.Name], d.DefaultKey(fx)
	if *base == "" {
		if *base, err = dialURL(addr); err != nil {
			return err
		}
	}
	if *key == "" {
		*key = demoKey
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
	if *specFile != "" {
		spec, err = mock.LoadSpec(ctx, *specFile, *provider, nil)
	} else if spec, err = contracttests.ServedDocument(ctx, target.Client, *base); err != nil {
		fmt.Fprintf(stderr, "no served document (%v): using the embedded %s document\n", err, *provider)
		spec, err = mock.LoadSpec(ctx, "", *provider, nil)
	}
	if err != nil {
		return err
	}
	// Writes change the target: against agentmock, take its state first
	// and put it back after, so that a running mock is left as found.
	var snapshot []byte
	if *write {
		if snapshot, err = controlCall(ctx, target.Client, http.MethodGet, *base+"/_mock/state", nil); err != nil {
			fmt.Fprintf(stderr, "no /_mock/state (%v): the writes will stay\n", err)
		}
	}
	rep, err := contracttests.Run(ctx, spec, target)
	if snapshot != nil {
		if _, rerr := controlCall(ctx, target.Client, http.MethodPut, *base+"/_mock/state", snapshot); rerr != nil {
			err = errors.Join(err, fmt.Errorf("restore the target's state: %w", rerr))
		} else {
			fmt.Fprintln(stderr, "the target's state is restored as it was before the checks")
		}
	}
	if err != nil {
		return err
	}
	for _, c := range rep.Checks {
		if !c.Passed || *verbose {
			mark := "ok  "
			switch {
			case c.Inconclusive:
				mark = "????"
			case !c.Passed:
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

// routes prints how every operation of the documents serve would load is
// answered, as GET /_mock/operations does on a running server. It takes
// serve's flags, and builds the servers on a throwaway database.
func routes(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, o := flags(getenv, stderr)
	asJSON := fs.Bool("json", false, "print JSON, as GET /_mock/operations answers")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if o.envErr != nil {
		return o.envErr
	}
	dir, err := os.MkdirTemp("", "agentmock-routes-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	mo, err := o.mockOptions(slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	mo.DB, mo.NoSync = filepath.Join(dir, "routes.db"), true
	a, err := mock.Open(ctx, mo)
	if err != nil {
		return err
	}
	defer a.Close()
	out := map[string]any{}
	for i, d := range mock.Registry() {
		p := struct {
			name string
			srv  *mock.Server
		}{d.Name, a.Servers[i]}
		ops := p.srv.Operations()
		if *asJSON {
			out[p.name] = map[string]any{"operations": ops, "stateful": mock.Stateful(ops), "total": len(ops)}
			continue
		}
		fmt.Fprintf(stdout, "%s: %d of %d operations answered from state\n", p.name, mock.Stateful(ops), len(ops))
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		for _, op := range ops {
			res := ""
			if op.Resource != nil {
				res = *op.Resource + " " + *op.Action
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", op.Method, op.Path, op.Behaviour, res, op.Detail)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	return nil
}

// mockDocument serves one OpenAPI document on its own, as prism mock does,
// with state derived by the engine, the control API, and errors in the
// document's declared shape or RFC 7807's. It takes serve's flags that
// apply, and --addr.
func mockDocument(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs, o := flags(getenv, stderr)
	addr := fs.String("addr", ":4000", "address the document's API listens on")
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	if file == "" {
		return errors.New("usage: agentmock mock DOCUMENT [--addr ADDR] [--db FILE] [serve's flags]")
	}
	if o.envErr != nil {
		return o.envErr
	}
	dbSet := false
	fs.Visit(func(f *flag.Flag) { dbSet = dbSet || f.Name == "db" })
	if !dbSet && getenv("AGENTMOCK_DB") == "" {
		o.db = "agentmock-document.db" // not the providers' database
	}
	log, err := o.logger(stderr)
	if err != nil {
		return err
	}
	mo, err := o.mockOptions(log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr) // before the database: a failed start leaves none
	if err != nil {
		return err
	}
	d, err := mock.OpenDocument(ctx, file, mo)
	if err != nil {
		ln.Close()
		return err
	}
	served := listen(ctx, []endpoint{{name: "document", ln: ln, h: d.Server}}, d.Store.Path(), log)
	return errors.Join(served, d.Close())
}

// providerNames lists the registry's providers by name.
func providerNames() []string {
	var names []string
	for _, d := range mock.Registry() {
		names = append(names, d.Name)
	}
	return names
}

// controlCall sends one call to agentmock's control API and returns the
// body of its 200.
func controlCall(ctx context.Context, client *http.Client, method, url string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 256<<20))
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: %s", method, url, res.Status)
	}
	return data, nil
}
