package provider

import "github.com/agentmock/agentmock/store"

// FindRecord finds a record by its id in any tenant of a collection, for
// what the control API addresses without a tenant (a call to steer), and
// decodes it. ok is false when no tenant has it.
func FindRecord(tx *store.Tx, coll, id string) (tenant string, doc map[string]any, ok bool, err error) {
	tenant, rec, ok := tx.FindID(coll, id)
	if !ok {
		return "", nil, false, nil
	}
	doc, err = DecodeObject(rec.Doc)
	return tenant, doc, true, err
}

// FindByMember finds the first record, in any tenant of a collection, whose
// member is value (a phone number by its digits, for a call coming in),
// and decodes it. A record that does not decode matches nothing.
func FindByMember(tx *store.Tx, coll, member string, value any) (tenant, id string, doc map[string]any, ok bool) {
	tenant, rec, ok := tx.Find(coll, func(_ string, raw []byte) bool {
		d, err := DecodeObject(raw)
		if err == nil && d[member] == value {
			doc = d
			return true
		}
		return false
	})
	return tenant, rec.ID, doc, ok
}
