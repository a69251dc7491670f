package pbft_test

import (
	"distlab/core"
	"distlab/internal/simtest"
	"distlab/protocols/pbft"
)

var lab = simtest.With(core.Catalog{pbft.Protocol})
