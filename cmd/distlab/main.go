// Command distlab runs distlab's engine headless: list the protocols, run a
// scenario (JSON summary, trace, ShiViz log), sweep seeds, or serve the page.
package main

import (
	"fmt"
	"io"
	"os"

	"distlab/core"
)

// Exit statuses: 0 every invariant holds, 1 one is violated, 2 bad input.
const (
	exitOK        = 0
	exitViolation = 1
	exitBadInput  = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `distlab — a distributed-algorithms laboratory (headless engine)

usage:
  distlab list [--json]
  distlab run SCENARIO [--json] [--trace FILE] [--shiviz FILE] [--seed N] [--until D]
  distlab check SCENARIO --seeds N [--from S] [--json]
  distlab serve [--addr 127.0.0.1:8080] [--dir dist]

SCENARIO is a JSON file, "-" for standard input, or a protocol name (its
default scenario). Exit status: 0 when every invariant holds, 1 when one is
violated, 2 for bad input.
`

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitBadInput
	}
	switch args[0] {
	case "list":
		return cmdList(args[1:], stdout, stderr)
	case "run":
		return cmdRun(args[1:], stdin, stdout, stderr)
	case "check":
		return cmdCheck(args[1:], stdin, stdout, stderr)
	case "serve":
		return cmdServe(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	msg := fmt.Sprintf("distlab: unknown command %q", args[0])
	if s := core.Suggest(args[0], []string{"list", "run", "check", "serve", "help"}); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	fmt.Fprintln(stderr, msg)
	fmt.Fprint(stderr, usage)
	return exitBadInput
}
