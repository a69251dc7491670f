package core

// The event queue: a typed 4-ary min-heap of (time, sequence) items, no
// interfaces and no allocation per operation.

type qKind uint8

const (
	qStart qKind = iota
	qDeliver
	qTimer
	qAction
)

type qItem struct {
	t    int64 // virtual time in nanoseconds
	seq  uint64
	ref  int32 // node, message, timer or action index
	gen  uint32
	kind qKind
}

func (a *qItem) less(b *qItem) bool {
	return a.t < b.t || a.t == b.t && a.seq < b.seq
}

type queue struct{ items []qItem }

func (q *queue) len() int { return len(q.items) }

func (q *queue) push(it qItem) {
	q.items = append(q.items, it)
	i := len(q.items) - 1
	for i > 0 {
		p := (i - 1) / 4
		if !q.items[i].less(&q.items[p]) {
			break
		}
		q.items[i], q.items[p] = q.items[p], q.items[i]
		i = p
	}
}

func (q *queue) peek() *qItem { return &q.items[0] }

func (q *queue) pop() qItem {
	top := q.items[0]
	last := len(q.items) - 1
	q.items[0] = q.items[last]
	q.items = q.items[:last]
	i, n := 0, last
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for j := c + 1; j < c+4 && j < n; j++ {
			if q.items[j].less(&q.items[m]) {
				m = j
			}
		}
		if !q.items[m].less(&q.items[i]) {
			break
		}
		q.items[i], q.items[m] = q.items[m], q.items[i]
		i = m
	}
	return top
}
