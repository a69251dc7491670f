package core

import (
	"time"
)

// Kind is the kind of a trace event.
type Kind uint8

const (
	KStart Kind = iota
	KLocal
	KSend
	KReceive
	KDrop
	KTimer
	KCrash
	KRecover
	KFault
	KPhase
	KDecide
	KNote
)

var kindNames = [...]string{"start", "local", "send", "receive", "drop", "timer", "crash", "recover", "fault", "phase", "decide", "note"}

func (k Kind) String() string { return kindNames[k] }

// KindNames lists the event kinds in order.
func KindNames() []string { return kindNames[:] }

// Ticks reports whether the kind is an event of the book's model (local,
// send, receive): only those advance the clocks.
func (k Kind) Ticks() bool { return k == KLocal || k == KSend || k == KReceive }

// Event is one entry of the trace. Its full vector clock is not stored (that
// would cost O(N) per event); Sim.VC computes it on demand.
type Event struct {
	ID      int32
	Node    int32 // -1 for faults of the network as a whole
	T       time.Duration
	Lamport int64
	Own     int32 // this process's own vector-clock component after the event
	Msg     int32 // message id for send, receive and drop; -1 otherwise
	Kind    Kind
	text    int32 // index in Sim.texts, for kinds whose text is not derived from the message (0: none)
	// Aux is the phase name (phase), the decided value (decide), the timer
	// name (timer) or the action kind (fault).
	Aux string
}

// Msg is one message: created by a send, delivered (or dropped) once. A
// duplicated message is a second Msg with the same SendEvent.
type Msg struct {
	ID        int
	From, To  int
	Type      string
	Payload   Message
	SendEvent int32
	RecvEvent int32 // -1 until received
	DropEvent int32 // -1 unless dropped
	SentAt    time.Duration
	DueAt     time.Duration // when it will be (or was) delivered
	Status    MsgStatus
	lost      bool  // decided at send: dropped on arrival
	reason    int32 // why it was dropped: index in Sim.texts (Sim.DropReason)
	DupOf     int   // -1, or the message this one duplicates

	dup     int32 // the duplicate of this message, or -1
	gen     uint32
	vcRow   int32 // 1 + the row of Sim.vcSlab holding its vector while in flight, or 0
	lamport int64
}

// MsgStatus is where a message is.
type MsgStatus uint8

const (
	InFlight MsgStatus = iota
	Held
	Delivered
	Dropped
)

var statusNames = [...]string{"in-flight", "held", "delivered", "dropped"}

func (s MsgStatus) String() string { return statusNames[s] }

const chunkBits = 12
const chunkSize = 1 << chunkBits

// chunked is an append-only list stored in fixed chunks: no 2x slack and no
// copying as it grows, and stable addresses.
type chunked[T any] struct {
	chunks [][]T
	n      int
}

func (c *chunked[T]) add() *T {
	if c.n&(chunkSize-1) == 0 {
		c.chunks = append(c.chunks, make([]T, chunkSize))
	}
	p := &c.chunks[c.n>>chunkBits][c.n&(chunkSize-1)]
	c.n++
	return p
}

func (c *chunked[T]) at(i int) *T { return &c.chunks[i>>chunkBits][i&(chunkSize-1)] }

func (c *chunked[T]) bytes(size int) int { return len(c.chunks) * chunkSize * size }
