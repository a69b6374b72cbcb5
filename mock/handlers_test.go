package mock

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestEveryDocumentedOperationHasBehaviour keeps our documents and the
// server in step: every operation of our embedded documents is answered
// from state (by the engine's rules or a provider's behaviour), none by a
// generated value; and every control operation has its handler.
func TestEveryDocumentedOperationHasBehaviour(t *testing.T) {
	app := openTestApp(t)
	for _, srv := range app.Servers {
		for _, op := range srv.Operations() {
			assert.NotEqual(t, "generated", op.Behaviour, "%s: %s %s is not answered from state: %s", srv.prov.Name(), op.Method, op.Path, op.Detail)
		}
		for _, op := range srv.control.spec.Operations() {
			assert.NotNil(t, srv.control.handlers[op.Key], "control: %s has no handler", op.Key)
		}
	}
}
