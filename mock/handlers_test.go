package mock

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestEveryDocumentedOperationHasBehaviour keeps our documents and the
// handlers in step: an operation we document but do not serve would answer
// 501.
func TestEveryDocumentedOperationHasBehaviour(t *testing.T) {
	app := openTestApp(t)
	for _, srv := range []*Server{app.Diga, app.Itellico, app.Diga.control, app.Itellico.control} {
		for _, op := range srv.spec.Operations() {
			assert.NotNil(t, srv.handlers[op.Key], "%s: %s has no handler", srv.prov.Name(), op.Key)
		}
	}
}
