package pbft

import (
	"fmt"

	"distlab/core"
)

// client issues its requests one after another: REQUEST to the primary it
// believes in, and to every replica when no f+1 matching replies come
// before the timeout.
type client struct {
	in  *instance
	id  int
	idx int

	t        int // timestamp of the current request (0: none yet)
	req      Request
	view     int
	replies  map[int]Reply // replica -> its reply to the current request
	accepted []string
	timer    core.TimerID
	done     bool
}

func (c *client) name() string { return fmt.Sprintf("C%d", c.idx) }

// Start sends the first request; a client rebuilt after a crash resumes
// after the last request it accepted.
func (c *client) Start(env core.Env) {
	if v, ok := env.Load("accepted"); ok {
		c.accepted = append([]string(nil), v.([]string)...)
		c.t = len(c.accepted)
	}
	c.next(env)
}

func (c *client) next(env core.Env) {
	if c.t >= c.in.requests {
		c.done = true
		return
	}
	c.t++
	c.req = Request{Op: fmt.Sprintf("add %d", 100*c.idx+c.t), T: c.t, Client: c.id, Name: c.name()}
	c.in.issued[c.req.Digest()] = true
	c.replies = map[int]Reply{}
	env.Phase("request", fmt.Sprintf("%s requests %s", c.name(), c.req.Op))
	env.Send(c.in.primary(c.view), c.req)
	c.timer = env.SetTimer(c.in.clientTimeout, "retransmit", c.t)
}

func (c *client) Receive(env core.Env, from int, m core.Message) {
	if rep, ok := m.(Reply); ok {
		c.onReply(env, from, rep)
	}
}

// onReply: accept the result once f+1 replicas sent the same one.
func (c *client) onReply(env core.Env, from int, rep Reply) {
	if c.done || rep.T != c.t || rep.I != from || from >= c.in.nR || rep.Client != c.id {
		return
	}
	c.replies[from] = rep
	same, view := 0, 0
	for _, i := range core.SortedKeys(c.replies) {
		if r := c.replies[i]; r.R == rep.R {
			same++
			view = max(view, r.V)
		}
	}
	if same < c.in.f+1 {
		return
	}
	env.CancelTimer(c.timer)
	c.view = max(c.view, view)
	c.accepted = append(c.accepted, rep.R)
	c.in.accept(c.idx, c.req, rep.R)
	env.Store("accepted", append([]string(nil), c.accepted...))
	env.Phase("accepted", fmt.Sprintf("%s has %d matching replies (f+1 = %d)", c.name(), same, c.in.f+1))
	env.Decide(rep.R, fmt.Sprintf("%s accepts %s for %s", c.name(), rep.R, c.req))
	c.next(env)
}

// Timer: no f+1 matching replies in time: multicast the request to all
// replicas (they relay it to the primary and start their view-change timers).
func (c *client) Timer(env core.Env, t core.Timer) {
	if c.done || t.Data.(int) != c.t {
		return
	}
	env.Phase("request", fmt.Sprintf("%s retransmits %s to every replica", c.name(), c.req))
	for i := 0; i < c.in.nR; i++ {
		env.Send(i, c.req)
	}
	c.timer = env.SetTimer(c.in.clientTimeout, "retransmit", c.t)
}

func (c *client) State() any {
	acc := c.accepted
	if acc == nil {
		acc = []string{}
	}
	reps := map[string]string{}
	for _, i := range core.SortedKeys(c.replies) {
		reps[fmt.Sprintf("R%d", i)] = c.replies[i].R
	}
	return map[string]any{"role": "client", "timestamp": c.t, "request": c.req.String(), "view": c.view,
		"replies": reps, "accepted": acc, "done": c.done}
}

func (c *client) String() string {
	if c.done {
		return fmt.Sprintf("%s: done, %d results accepted", c.name(), len(c.accepted))
	}
	return fmt.Sprintf("%s: waiting for %s (%d replies)", c.name(), c.req, len(c.replies))
}
