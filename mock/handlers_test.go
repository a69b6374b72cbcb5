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
	for _, srv := range []*Server{app.Server("diga"), app.Server("itellico"), app.Server("diga").control, app.Server("itellico").control} {
		for _, op := range srv.spec.Operations() {
			assert.NotNil(t, srv.handlers[op.Key], "%s: %s has no handler", srv.prov.Name(), op.Key)
		}
	}
}
