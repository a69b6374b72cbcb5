package mock

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPageIsSelfContained: GET /_mock/ is the page, and it fetches nothing
// from outside this port.
func TestPageIsSelfContained(t *testing.T) {
	srv := httptest.NewServer(openTestApp(t).Server("diga"))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/_mock/")
	require.NoError(t, err)
	defer res.Body.Close()
	page, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", res.Header.Get("Content-Type"))
	assert.Contains(t, string(page), "<title>agentmock</title>")
	assert.NotContains(t, string(page), "http://", "no CDN, no outside fetch")
	assert.NotContains(t, string(page), "https://")
}

// TestPageShowsTheJournal loads the page in a real headless browser
// (Debian's chromium, which .ci/run installs where it can) after a call to
// the API, and finds the call in the page the browser built.
func TestPageShowsTheJournal(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("no chromium on PATH")
	}
	srv := httptest.NewServer(openTestApp(t).Server("diga"))
	defer srv.Close()
	req, err := http.NewRequest("GET", srv.URL+"/v1/voice/?limit=3", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer sk-diga-demo")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=5000", "--dump-dom", srv.URL+"/_mock/").Output()
	require.NoError(t, err)
	dom := string(out)
	assert.Contains(t, dom, `<tr class="request">`, "the page listed the journal")
	assert.Contains(t, dom, "/v1/voice/?limit=3", "with the call just made")
	assert.Contains(t, dom, "get_voices_v1_voice__get")
	assert.True(t, strings.Contains(dom, "diga ("), "and the provider it shows")
}
