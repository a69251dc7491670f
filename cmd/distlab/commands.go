package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"distlab/core"
	"distlab/protocols"
)

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseInterleaved lets flags come after positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func cmdList(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("list", stderr)
	asJSON := fs.Bool("json", false, "print the registry as JSON")
	if _, err := parseInterleaved(fs, args); err != nil {
		return exitBadInput
	}
	if *asJSON {
		b, _ := json.MarshalIndent(core.Describe(protocols.Catalog), "", "  ")
		fmt.Fprintln(stdout, string(b))
		return exitOK
	}
	tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSECTION\tTITLE\tCOMPLEXITY")
	for _, p := range protocols.Catalog {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Name, p.Section, p.Title, p.Complexity)
	}
	tw.Flush()
	return exitOK
}

// loadScenario reads SCENARIO (file, "-", or protocol name) and applies the
// seed and until overrides.
func loadScenario(arg string, stdin io.Reader, seed *uint64, until string) (*core.Scenario, error) {
	var data []byte
	var err error
	switch {
	case arg == "-":
		data, err = io.ReadAll(stdin)
	case fileExists(arg):
		data, err = os.ReadFile(arg)
	case protocols.Catalog.Lookup(arg) != nil:
		// A protocol name runs its default scenario, faults included.
		data = []byte(protocols.Catalog.Lookup(arg).Default)
		if len(data) == 0 {
			data = []byte(fmt.Sprintf(`{"protocol": %q}`, arg))
		}
	default:
		msg := fmt.Sprintf("%s: no such file, and not a protocol name", arg)
		if s := core.Suggest(arg, protocols.Catalog.Names()); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		return nil, errors.New(msg)
	}
	if err != nil {
		return nil, err
	}
	root, err := core.ParseJSON("", data)
	if err != nil {
		return nil, err
	}
	if m, ok := root.V.(map[string]any); ok {
		if seed != nil {
			m["seed"] = json.Number(strconv.FormatUint(*seed, 10))
		}
		if until != "" {
			m["until"] = until
		}
	}
	return core.ScenarioFromValue(root, protocols.Catalog)
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

type optSeed struct {
	set bool
	v   uint64
}

func (o *optSeed) String() string { return strconv.FormatUint(o.v, 10) }
func (o *optSeed) Set(s string) error {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("expected an unsigned integer")
	}
	o.set, o.v = true, v
	return nil
}
func (o *optSeed) ptr() *uint64 {
	if o.set {
		return &o.v
	}
	return nil
}

func cmdRun(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("run", stderr)
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	tracePath := fs.String("trace", "", "write the trace as JSON Lines to `FILE`")
	shivizPath := fs.String("shiviz", "", "write a ShiViz log to `FILE`")
	var seed optSeed
	fs.Var(&seed, "seed", "override the scenario's seed")
	until := fs.String("until", "", "override the scenario's until (a duration)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitBadInput
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "distlab run: expected one SCENARIO (a file, - for standard input, or a protocol name)")
		return exitBadInput
	}
	sc, err := loadScenario(pos[0], stdin, seed.ptr(), *until)
	if err != nil {
		fmt.Fprintln(stderr, "distlab:", err)
		return exitBadInput
	}
	sim, err := core.New(sc)
	if err != nil {
		fmt.Fprintln(stderr, "distlab:", err)
		return exitBadInput
	}
	sim.Run()
	if *tracePath != "" {
		if err := writeFile(*tracePath, func(w io.Writer) error { _, err := sim.WriteTrace(w); return err }); err != nil {
			fmt.Fprintln(stderr, "distlab:", err)
			return exitBadInput
		}
	}
	if *shivizPath != "" {
		if err := writeFile(*shivizPath, sim.WriteShiViz); err != nil {
			fmt.Fprintln(stderr, "distlab:", err)
			return exitBadInput
		}
	}
	sum := sim.Summarize()
	if *asJSON {
		b, _ := json.Marshal(sum)
		fmt.Fprintln(stdout, string(b))
	} else {
		printSummary(stdout, sim, sum)
	}
	if !sum.OK {
		return exitViolation
	}
	return exitOK
}

func writeFile(path string, f func(io.Writer) error) error {
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := f(file); err != nil {
		file.Close()
		return err
	}
	return file.Close()
}

func printSummary(w io.Writer, sim *core.Sim, sum *core.Summary) {
	fmt.Fprintf(w, "%s  seed %d  %d nodes  end %s  %d events\n", sum.Protocol, sum.Seed, sum.Nodes, sum.End, sum.Events)
	if sim.NumEvents() <= 200 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTIME\tPROC\tKIND\tLAMPORT\tVC\tTEXT")
		sim.ForEachVC(0, sim.NumEvents(), func(i int, vc []int32) bool {
			e := sim.Event(i)
			proc := "-"
			if e.Node >= 0 {
				proc = sim.Name(int(e.Node))
			}
			fmt.Fprintf(tw, "%d\t%v\t%s\t%s\t%d\t%s\t%s\n", e.ID, e.T, proc, e.Kind, e.Lamport, fmtVC(vc), sim.Text(e))
			return true
		})
		tw.Flush()
		fmt.Fprintln(w)
	}
	types := make([]string, 0, len(sum.Messages.ByType))
	for t := range sum.Messages.ByType {
		types = append(types, t)
	}
	slices.Sort(types)
	var parts []string
	for _, t := range types {
		parts = append(parts, fmt.Sprintf("%s %d", t, sum.Messages.ByType[t]))
	}
	fmt.Fprintf(w, "messages: %d sent, %d delivered, %d dropped (%s)\n", sum.Messages.Sent, sum.Messages.Delivered, sum.Messages.Dropped, strings.Join(parts, ", "))
	for _, inv := range sum.Invariants {
		mark := "ok  "
		if !inv.OK {
			mark = "FAIL"
		}
		if inv.Pending {
			mark = "... "
		}
		line := fmt.Sprintf("%s %s", mark, inv.Name)
		if inv.Detail != "" {
			line += ": " + inv.Detail
		}
		if inv.Event >= 0 {
			line += fmt.Sprintf(" (first at event %d)", inv.Event)
		}
		fmt.Fprintln(w, line)
	}
	keys := make([]string, 0, len(sum.Metrics))
	for k := range sum.Metrics {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "metric %s = %v\n", k, sum.Metrics[k])
	}
	if sum.Output != nil {
		if b, err := json.MarshalIndent(sum.Output, "", "  "); err == nil {
			if len(b) > 4000 {
				cut := bytes.LastIndexByte(b[:4000], '\n')
				b = append(b[:cut], "\n  ... (the whole output is in --json)"...)
			}
			fmt.Fprintf(w, "output: %s\n", b)
		}
	}
	if sum.Error != "" {
		fmt.Fprintln(w, "error:", firstLine(sum.Error))
	}
	fmt.Fprintln(w, "trace sha256", sum.TraceSHA256)
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func fmtVC(vc []int32) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, x := range vc {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(x)))
	}
	b.WriteByte(']')
	return b.String()
}

type checkResult struct {
	Protocol  string  `json:"protocol"`
	Seeds     int     `json:"seeds"`
	From      uint64  `json:"from"`
	Passed    int     `json:"passed"`
	FirstFail *uint64 `json:"first_failing_seed"`
	Invariant string  `json:"invariant,omitempty"`
	Detail    string  `json:"detail,omitempty"`
	Event     int     `json:"event,omitempty"`
}

func cmdCheck(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("check", stderr)
	seeds := fs.Int("seeds", 100, "how many seeds to sweep")
	from := fs.Uint64("from", 1, "the first seed")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	keepGoing := fs.Bool("all", false, "sweep every seed even after a failure")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitBadInput
	}
	if len(pos) != 1 || *seeds < 1 {
		fmt.Fprintln(stderr, "distlab check: expected one SCENARIO and --seeds N (N >= 1)")
		return exitBadInput
	}
	base, err := loadScenario(pos[0], stdin, nil, "")
	if err != nil {
		fmt.Fprintln(stderr, "distlab:", err)
		return exitBadInput
	}
	res := checkResult{Protocol: base.Protocol, Seeds: *seeds, From: *from}
	for i := 0; i < *seeds; i++ {
		seed := *from + uint64(i)
		sc := *base
		sc.Seed = seed
		sim, err := core.New(&sc)
		if err != nil {
			fmt.Fprintln(stderr, "distlab:", err)
			return exitBadInput
		}
		sim.Run()
		failed := false
		for _, inv := range sim.Invariants() {
			if !inv.OK && !inv.Pending {
				if res.FirstFail == nil {
					s := seed
					res.FirstFail, res.Invariant, res.Detail, res.Event = &s, inv.Name, firstLine(inv.Detail), inv.Event
				}
				failed = true
				break
			}
		}
		if !failed {
			res.Passed++
		} else if !*keepGoing {
			break
		}
	}
	if *asJSON {
		b, _ := json.Marshal(res)
		fmt.Fprintln(stdout, string(b))
	} else if res.FirstFail == nil {
		fmt.Fprintf(stdout, "%s: all %d seeds (%d..%d) pass every invariant\n", res.Protocol, res.Seeds, res.From, res.From+uint64(res.Seeds)-1)
	} else {
		fmt.Fprintf(stdout, "%s: seed %d violates %s: %s (first at event %d); %d seed(s) passed before it\n", res.Protocol, *res.FirstFail, res.Invariant, res.Detail, res.Event, res.Passed)
	}
	if res.FirstFail != nil {
		return exitViolation
	}
	return exitOK
}
