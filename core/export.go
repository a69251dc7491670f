package core

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"
)

// Text is the event's one-line description.
func (s *Sim) Text(e *Event) string {
	switch e.Kind {
	case KSend:
		m := s.msgs.at(int(e.Msg))
		return "send " + m.Payload.String() + " to " + s.names[m.To]
	case KReceive:
		m := s.msgs.at(int(e.Msg))
		return "receive " + m.Payload.String() + " from " + s.names[m.From]
	case KDrop:
		m := s.msgs.at(int(e.Msg))
		return "drop " + m.Payload.String() + " from " + s.names[m.From] + " (" + s.texts[m.reason] + ")"
	case KTimer:
		return "timer " + e.Aux
	}
	return s.texts[e.text]
}

// AppendEventJSON appends event i as one trace line (without the newline),
// given its vector clock. The field order is fixed: the trace hash depends on it.
func (s *Sim) AppendEventJSON(b []byte, i int, vc []int32) []byte {
	return s.appendEvent(b, i, vc, false)
}

// AppendPageEventJSON appends event i as the page's TraceEvent
// (distlab.d.ts): the trace line's fields plus "own", with "vc" only when vc
// is not nil.
func (s *Sim) AppendPageEventJSON(b []byte, i int, vc []int32) []byte {
	return s.appendEvent(b, i, vc, true)
}

func (s *Sim) appendEvent(b []byte, i int, vc []int32, page bool) []byte {
	e := s.events.at(i)
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(e.ID), 10)
	b = append(b, `,"t":`...)
	b = strconv.AppendInt(b, int64(e.T/time.Microsecond), 10)
	b = append(b, `,"node":`...)
	b = strconv.AppendInt(b, int64(e.Node), 10)
	b = append(b, `,"kind":"`...)
	b = append(b, e.Kind.String()...)
	b = append(b, `","lamport":`...)
	b = strconv.AppendInt(b, e.Lamport, 10)
	if page {
		b = append(b, `,"own":`...)
		b = strconv.AppendInt(b, int64(e.Own), 10)
	}
	if vc != nil || !page {
		b = append(b, `,"vc":[`...)
		for k, x := range vc {
			if k > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(x), 10)
		}
		b = append(b, ']')
	}
	if e.Msg >= 0 {
		m := s.msgs.at(int(e.Msg))
		b = append(b, `,"msg":{"id":`...)
		b = strconv.AppendInt(b, int64(m.ID), 10)
		b = append(b, `,"from":`...)
		b = strconv.AppendInt(b, int64(m.From), 10)
		b = append(b, `,"to":`...)
		b = strconv.AppendInt(b, int64(m.To), 10)
		b = append(b, `,"type":`...)
		b = AppendJSONString(b, m.Type)
		b = append(b, '}')
	}
	switch e.Kind {
	case KPhase:
		b = append(b, `,"phase":`...)
		b = AppendJSONString(b, e.Aux)
	case KDecide:
		b = append(b, `,"value":`...)
		b = AppendJSONString(b, e.Aux)
	case KFault:
		b = append(b, `,"fault":`...)
		b = AppendJSONString(b, e.Aux)
	}
	b = append(b, `,"text":`...)
	b = AppendJSONString(b, s.Text(e))
	return append(b, '}')
}

// AppendJSONString appends s as a JSON string.
func AppendJSONString(b []byte, s string) []byte {
	const hexd = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b = append(b, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			b = append(b, '\\', 'u', '2', '0', '2', hexd[r&15])
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// ForEachVC visits every event in order with its vector clock (the slice is
// reused between calls).
func (s *Sim) ForEachVC(from, to int, visit func(i int, vc []int32) bool) {
	if to > s.events.n {
		to = s.events.n
	}
	if from >= to {
		return
	}
	r := s.newReplay(&s.cps[s.checkpointFor(from)])
	zero := make([]int32, s.n)
	for r.next < to {
		e := r.apply()
		if int(e.ID) < from {
			continue
		}
		vc := zero
		if e.Node >= 0 {
			vc = r.row(int(e.Node))
		}
		if !visit(int(e.ID), vc) {
			return
		}
	}
}

// WriteTrace writes the trace as JSON Lines and returns its SHA-256.
func (s *Sim) WriteTrace(w io.Writer) (string, error) {
	h := sha256.New()
	var bw *bufio.Writer
	if w != nil {
		bw = bufio.NewWriterSize(w, 1<<16)
	}
	var line []byte
	var err error
	s.ForEachVC(0, s.events.n, func(i int, vc []int32) bool {
		line = s.AppendEventJSON(line[:0], i, vc)
		line = append(line, '\n')
		h.Write(line)
		if bw != nil {
			_, err = bw.Write(line)
		}
		return err == nil
	})
	if bw != nil && err == nil {
		err = bw.Flush()
	}
	return hex.EncodeToString(h.Sum(nil)), err
}

// TraceHash is the SHA-256 of the trace's JSON Lines.
func (s *Sim) TraceHash() string {
	h, _ := s.WriteTrace(nil)
	return h
}

// WriteShiViz writes the log that ShiViz's default parser reads: for each
// event of the book's model (local, send, receive), its description on one
// line, then `HOST {"HOST": n, ...}` with the vector clock keyed by host.
// Annotations are left out: ShiViz wants each host's own clock to start at 1
// and grow by exactly 1 per logged event.
func (s *Sim) WriteShiViz(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	var line []byte
	s.ForEachVC(0, s.events.n, func(i int, vc []int32) bool {
		e := s.events.at(i)
		if !e.Kind.Ticks() {
			return true
		}
		line = line[:0]
		for _, r := range s.Text(e) {
			if r == '\n' || r == '\r' {
				r = ' '
			}
			line = utf8.AppendRune(line, r)
		}
		line = append(line, '\n')
		line = append(line, s.names[e.Node]...)
		line = append(line, ' ', '{')
		first := true
		for k, x := range vc {
			if x == 0 {
				continue
			}
			if !first {
				line = append(line, ", "...)
			}
			first = false
			line = AppendJSONString(line, s.names[k])
			line = append(line, ": "...)
			line = strconv.AppendInt(line, int64(x), 10)
		}
		line = append(line, '}', '\n')
		bw.Write(line)
		return true
	})
	return bw.Flush()
}

// MsgStats counts messages.
type MsgStats struct {
	Sent      int            `json:"sent"`
	Delivered int            `json:"delivered"`
	Dropped   int            `json:"dropped"`
	InFlight  int            `json:"in_flight"`
	ByType    map[string]int `json:"by_type"`
	ByNode    []NodeCounts   `json:"by_node"` // indexed by process
}

// Summary is the result of a run: what `distlab run --json` prints and
// sim.summary() returns in the browser.
type Summary struct {
	Protocol    string             `json:"protocol"`
	Seed        uint64             `json:"seed"`
	Nodes       int                `json:"nodes"`
	Processes   int                `json:"processes"`
	End         string             `json:"end"`
	EndUS       int64              `json:"end_us"`
	Done        bool               `json:"done"`
	Events      int                `json:"events"`
	Messages    MsgStats           `json:"messages"`
	Invariants  []InvResult        `json:"invariants"`
	OK          bool               `json:"ok"`
	Metrics     map[string]float64 `json:"metrics"`
	Output      any                `json:"output,omitempty"`
	Error       string             `json:"error,omitempty"`
	TraceSHA256 string             `json:"trace_sha256"`
}

// Summarize computes the summary as the run stands.
func (s *Sim) Summarize() *Summary {
	sum := &Summary{
		Protocol: s.proto.Name, Seed: s.sc.Seed, Nodes: s.nodesN, Processes: s.n,
		End: fmtDur(s.now), EndUS: int64(s.now / time.Microsecond), Done: s.Done(),
		Events: s.events.n,
		Messages: MsgStats{Sent: s.sent, Delivered: s.delivered, Dropped: s.dropped,
			InFlight: s.msgs.n - s.delivered - s.dropped, ByType: map[string]int{}},
		Metrics: map[string]float64{},
	}
	sum.Messages.ByType = s.SentByType()
	sum.Messages.ByNode = s.CountsByNode()
	sum.Invariants = s.Invariants()
	sum.OK = true
	for _, r := range sum.Invariants {
		if !r.OK && !r.Pending {
			sum.OK = false
		}
	}
	if m, ok := s.inst.(Measured); ok {
		func() {
			defer func() { recover() }()
			for k, v := range m.Metrics(s) {
				sum.Metrics[k] = v
			}
		}()
	}
	if o, ok := s.inst.(Outputter); ok {
		func() {
			defer func() { recover() }()
			sum.Output = o.Output(s)
		}()
	}
	if s.err != nil {
		sum.Error = s.err.Error()
	}
	sum.TraceSHA256 = s.TraceHash()
	return sum
}

// MemoryBytes estimates the trace's memory: events, messages, per-process
// event lists and clock checkpoints.
func (s *Sim) MemoryBytes() int {
	b := s.events.bytes(int(unsafe.Sizeof(Event{}))) + s.msgs.bytes(int(unsafe.Sizeof(Msg{}))) + s.cpBytes + cap(s.texts)*16
	for _, l := range s.byNode {
		b += cap(l) * 4
	}
	return b
}
