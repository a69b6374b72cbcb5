package mock

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/agentmock/agentmock/mock/provider"
	"github.com/agentmock/agentmock/openapi/resources"
	"github.com/agentmock/agentmock/store"
)

// Keys created through the API (a record of a resource in
// Rules.Credentials) authenticate until they are deleted. An index in the
// credentials collection maps the SHA-256 of each key to the record that
// holds it, so that a request finds its key in one read and the index
// never holds a key itself. The record is read at every request, so that a
// PATCH of its permissions applies at once.

func (s *Server) credentialsCollection() string { return s.prov.Name() + "/_credentials" }

func keyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// credentialEntry is an index record: where the key's record lives.
type credentialEntry struct {
	Tenant     string `json:"tenant"`
	Collection string `json:"collection"`
	Record     string `json:"record"`
}

// indexKey records, in the caller's transaction, the key a new record holds.
func (s *Server) indexKey(tx *store.Tx, r *resources.Resource, p place, id string, doc []byte) error {
	if r.Credential == "" {
		return nil
	}
	key := credentialOf(r, doc)
	if key == "" {
		return nil
	}
	entry, err := json.Marshal(credentialEntry{Tenant: p.tenant, Collection: p.coll, Record: id})
	if err != nil {
		return err
	}
	_, err = tx.Create(s.credentialsCollection(), provider.GlobalTenant, keyHash(key), entry)
	return err
}

// unindexKey forgets a deleted record's key.
func (s *Server) unindexKey(tx *store.Tx, r *resources.Resource, doc []byte) error {
	if key := credentialOf(r, doc); r.Credential != "" && key != "" {
		if err := tx.Delete(s.credentialsCollection(), provider.GlobalTenant, keyHash(key)); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return nil
}

func credentialOf(r *resources.Resource, doc []byte) string {
	m := map[string]any{}
	_ = json.Unmarshal(doc, &m)
	key, _ := m[r.Credential].(string)
	return key
}

// storedKey authenticates a key created through the API. Its record's
// restricted and permissions members restrict it, as a fixture key's
// permissions do; an expiry_date or expires_at in the past ends it.
func (s *Server) storedKey(ctx context.Context, key string) (provider.Principal, bool) {
	if key == "" || !s.hasCredentials() {
		return provider.Principal{}, false
	}
	var who provider.Principal
	found := false
	err := s.store.View(ctx, func(tx *store.Tx) error {
		idx, err := tx.Get(s.credentialsCollection(), provider.GlobalTenant, keyHash(key))
		if err != nil {
			return err
		}
		var e credentialEntry
		if err := json.Unmarshal(idx.Doc, &e); err != nil {
			return err
		}
		rec, err := tx.Get(e.Collection, e.Tenant, e.Record)
		if err != nil {
			return err
		}
		var k struct {
			Restricted  bool     `json:"restricted"`
			Permissions []string `json:"permissions"`
			ExpiryDate  *string  `json:"expiry_date"`
			ExpiresAt   *string  `json:"expires_at"`
		}
		if err := json.Unmarshal(rec.Doc, &k); err != nil {
			return err
		}
		for _, at := range []*string{k.ExpiryDate, k.ExpiresAt} {
			if t, err := time.Parse(time.RFC3339Nano, deref(at)); err == nil && !t.After(s.Now()) {
				return nil
			}
		}
		who, found = provider.Principal{Tenant: e.Tenant}, true
		if k.Restricted {
			who.Permissions = append([]string{}, k.Permissions...)
		}
		return nil
	})
	return who, err == nil && found
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (s *Server) hasCredentials() bool {
	for _, r := range s.model.Resources {
		if r.Credential != "" {
			return true
		}
	}
	return false
}
