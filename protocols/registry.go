// Package protocols is the catalogue: every algorithm distlab can run. The
// command line, the bridge and the page learn everything from it, so adding
// an algorithm means adding its package and one line here.
package protocols

import (
	"distlab/core"
	"distlab/protocols/deadlock"
	"distlab/protocols/om"
	"distlab/protocols/pbft"
	"distlab/protocols/script"
	"distlab/protocols/snapshot"
)

// Catalog lists the protocols in the order of the seed's sections.
var Catalog = core.Catalog{
	script.Protocol,
	snapshot.Protocol,
	deadlock.CMH,
	deadlock.Central,
	om.Protocol,
	pbft.Protocol,
}
