// Package delivery delivers events to webhooks at least once: each waits
// in an outbox in the database until a receiver takes it (2xx), or its
// attempts run out, so that neither a restart nor SIGKILL loses one, and
// it is sent outside any API request, so that delivering never slows the
// API down.
//
// Neither Diga nor any peer document the envelope or the signature, so
// both are chosen here, in this file alone, as the best-documented vendors
// do (Stripe, Standard Webhooks): the body is an envelope
//
//	{"id": "<delivery id>", "type": "status_changed", "created_at": "<RFC 3339>", "data": {…}}
//
// and the header is
//
//	Diga-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">
//
// keyed with the webhook's secret as the create answer showed it. The
// timestamp is inside the signed content, so a receiver can refuse a
// replay older than its tolerance. Deliveries about one record (a call)
// go to a webhook one at a time, in the order they were made.
package delivery

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Header is the header a delivery's signature travels in.
const Header = "Diga-Signature"

// Event is the envelope every delivery's body is.
type Event struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt string          `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// Sign is the Header value for body, sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret, ts string, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte("."))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Errors Verify reports, for errors.Is.
var (
	ErrNoSignature = errors.New("delivery: no signature")
	ErrSignature   = errors.New("delivery: signature does not match")
	ErrTooOld      = errors.New("delivery: signature timestamp outside the tolerance")
)

// Verify checks a Header value against body as a receiver should: the
// signature must match one v1 entry, and its timestamp be within
// tolerance of now (zero tolerance: any age).
func Verify(header, secret string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if ts == "" || len(sigs) == 0 {
		return ErrNoSignature
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q", ErrNoSignature, ts)
	}
	want := mac(secret, ts, body)
	ok := false
	for _, s := range sigs {
		ok = ok || hmac.Equal([]byte(s), []byte(want))
	}
	if !ok {
		return ErrSignature
	}
	if age := now.Sub(time.Unix(sec, 0)); tolerance > 0 && (age > tolerance || age < -tolerance) {
		return fmt.Errorf("%w: %s old", ErrTooOld, age)
	}
	return nil
}
