package deadlock_test

import (
	"distlab/internal/simtest"
	"distlab/protocols"
)

var lab = simtest.With(protocols.Catalog)
