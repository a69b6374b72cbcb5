package itellico

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // tz names buckets' zones; the image has no zoneinfo

	"github.com/agentmock/agentmock"
	"github.com/agentmock/agentmock/mock/provider"
	"github.com/agentmock/agentmock/store"
)

const itlUsage = "GET /v1/accounts/{}/analytics/usage"

// usageDefaultPeriod is how far back usage looks when start is not given.
const usageDefaultPeriod = 30 * 24 * time.Hour

// usageQuery is what an analytics usage request asks for.
type usageQuery struct {
	start, end  time.Time
	granularity string
	groupBy     []string
	limit       int
	loc         *time.Location
	tz          string
}

func parseUsage(req *provider.Request, now time.Time) (usageQuery, error) {
	q := req.HTTP.URL.Query()
	u := usageQuery{granularity: cmp.Or(q.Get("granularity"), "day"), tz: cmp.Or(q.Get("tz"), "UTC"),
		limit: provider.QueryInt(req.Route, q, "limit", 500), end: now}
	var vs []agentmock.Violation
	bad := func(name, msg string) {
		vs = append(vs, agentmock.Violation{In: agentmock.InQuery, Path: []string{name}, Kind: agentmock.KindValue, Message: msg})
	}
	for _, v := range q["group_by"] {
		for _, g := range strings.Split(v, ",") {
			if g != "" && !slices.Contains(u.groupBy, g) {
				u.groupBy = append(u.groupBy, g)
			}
		}
	}
	loc, err := time.LoadLocation(u.tz)
	if err != nil {
		bad("tz", fmt.Sprintf("Value error, unknown time zone %q", u.tz))
	}
	u.loc = loc
	for _, p := range []struct {
		name string
		to   *time.Time
	}{{"end", &u.end}, {"start", &u.start}} {
		if s := q.Get(p.name); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				bad(p.name, "Input should be a valid datetime")
				continue
			}
			*p.to = t
		}
	}
	if q.Get("start") == "" {
		u.start = u.end.Add(-usageDefaultPeriod)
	}
	if !u.start.Before(u.end) {
		bad("start", "Value error, start must be before end")
	}
	if len(vs) > 0 {
		return u, provider.Invalid(vs...)
	}
	return u, nil
}

// bucket is where a time's bucket starts, in the query's zone.
func (u usageQuery) bucket(t time.Time) time.Time {
	t = t.In(u.loc)
	switch u.granularity {
	case "hour":
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), 0, 0, 0, u.loc)
	case "month":
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, u.loc)
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, u.loc)
}

// usage counts the conversations of the account and its subaccounts that
// started in [start, end), in buckets, split by the group_by dimensions.
func (it *itellico) usage(e provider.Engine) provider.Handler {
	return func(req *provider.Request) (provider.Response, error) {
		u, err := parseUsage(req, e.Now())
		if err != nil {
			return provider.Response{}, err
		}
		type key struct {
			ts   time.Time
			dims string
		}
		type value struct {
			n    int
			secs float64
			dims map[string]any
		}
		counted := map[key]*value{}
		err = e.Store().View(req.Ctx, func(tx *store.Tx) error {
			accounts := []string{req.Tenant}
			subs, err := tx.List(collItlSubaccounts, req.Tenant, store.Query{})
			if err != nil {
				return err
			}
			for _, r := range subs.Records {
				accounts = append(accounts, r.ID)
			}
			for _, account := range accounts {
				page, err := tx.List(collItlConversations, account, store.Query{})
				if err != nil {
					return err
				}
				for _, r := range page.Records {
					conv, err := provider.DecodeObject(r.Doc)
					if err != nil {
						continue
					}
					started, err := time.Parse(time.RFC3339Nano, fmt.Sprint(conv["start_timestamp"]))
					if err != nil || started.Before(u.start) || !started.Before(u.end) {
						continue
					}
					dims := map[string]any{}
					for _, g := range u.groupBy {
						switch g {
						case "agent":
							dims["agent"] = cmp.Or(fmt.Sprint(cmp.Or(conv["agent_id"], any(""))), "none")
						case "subaccount":
							dims["subaccount"] = account
						case "type":
							dims["type"] = fmt.Sprint(cmp.Or(conv["type"], any("unknown")))
						}
					}
					k := key{u.bucket(started), fmt.Sprint(dims)}
					v := counted[k]
					if v == nil {
						v = &value{dims: dims}
						counted[k] = v
					}
					v.n++
					if secs, ok := number(conv["duration_seconds"]); ok {
						v.secs += secs
					}
				}
			}
			return nil
		})
		if err != nil {
			return provider.Response{}, err
		}
		byTS := map[time.Time][]any{}
		for _, k := range slices.SortedFunc(maps.Keys(counted), func(a, b key) int {
			return cmp.Or(a.ts.Compare(b.ts), strings.Compare(a.dims, b.dims))
		}) {
			v := counted[k]
			entry := map[string]any{"conversations": v.n, "seconds": v.secs}
			if len(u.groupBy) > 0 {
				entry["dimensions"] = v.dims
			}
			byTS[k.ts] = append(byTS[k.ts], entry)
		}
		data := []any{}
		for _, ts := range slices.SortedFunc(maps.Keys(byTS), time.Time.Compare) {
			if len(data) == u.limit {
				break
			}
			data = append(data, map[string]any{"ts": ts.Format(time.RFC3339), "values": byTS[ts]})
		}
		meta := map[string]any{"account_id": req.Tenant, "start": u.start.UTC().Format(time.RFC3339Nano),
			"end": u.end.UTC().Format(time.RFC3339Nano), "granularity": u.granularity, "tz": u.tz}
		if len(u.groupBy) > 0 {
			meta["group_by"] = u.groupBy
		}
		return provider.Response{Status: http.StatusOK, Body: map[string]any{"meta": meta, "data": data}}, nil
	}
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case interface{ Float64() (float64, error) }:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}
