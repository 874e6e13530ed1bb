// Command orrery runs deterministic simulations of Kubernetes control planes.
//
//	orrery run SCENARIO-FILE|BUILTIN [--seed N] [--out DIR] [--format text|json]
//	orrery validate FILE
//	orrery list
//
// Exit codes: 0 ok, 1 an expectation failed, 2 bad input or usage.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/orrery-sim/orrery/model/cluster"
	"github.com/orrery-sim/orrery/reports"
	"github.com/orrery-sim/orrery/scenarios"
	"github.com/orrery-sim/orrery/sim"
)

// Exit codes.
const (
	exitOK        = 0
	exitExpectErr = 1
	exitBadInput  = 2
)

const usage = `orrery — a deterministic simulator of Kubernetes control planes

Usage:
  orrery run SCENARIO-FILE|BUILTIN [--seed N] [--out DIR] [--format text|json]
  orrery validate FILE
  orrery list

Exit codes: 0 ok, 1 an expectation failed, 2 bad input or usage.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitBadInput
	}
	switch args[0] {
	case "run":
		return cmdRun(args[1:], stdout, stderr)
	case "validate":
		return cmdValidate(args[1:], stdout, stderr)
	case "list":
		return cmdList(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "orrery: unknown command %q\n\n%s", args[0], usage)
	return exitBadInput
}

func cmdRun(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported below, once
	seed := fs.Uint64("seed", 0, "override the scenario's seed")
	out := fs.String("out", "", "also write report.json and report.txt into this directory")
	format := fs.String("format", "text", "report format on stdout: text or json")
	if err := fs.Parse(args); err == pflag.ErrHelp {
		fmt.Fprintf(stdout, "usage: orrery run [--seed N] [--format text|json] [--out DIR] SCENARIO\n\n%s", fs.FlagUsages())
		return exitOK
	} else if err != nil {
		fmt.Fprintf(stderr, "orrery run: %v\n", err)
		return exitBadInput
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "orrery run: want one scenario file or built-in name, got %d arguments\n", fs.NArg())
		return exitBadInput
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "orrery run: --format must be text or json, not %q\n", *format)
		return exitBadInput
	}
	sc, err := scenarios.Load(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "orrery: %v\n", err)
		return exitBadInput
	}
	printWarnings(sc, stderr)
	if fs.Changed("seed") {
		sc.SetSeed(*seed)
	}
	var rep reports.Output
	var runs []*reports.Report
	for _, run := range sc.Runs() {
		r, code := simulate(run, stderr)
		if r == nil {
			return code
		}
		runs = append(runs, r)
	}
	rep = runs[0]
	if len(sc.Spec.Variants) > 0 {
		cmp, err := reports.Compare(sc, runs)
		if err != nil {
			fmt.Fprintf(stderr, "orrery: %v\n", err)
			return exitBadInput
		}
		rep = cmp
	}
	if *out != "" {
		if err := writeOutputs(*out, rep); err != nil {
			fmt.Fprintf(stderr, "orrery: %v\n", err)
			return exitBadInput
		}
	}
	if *format == "json" {
		err = rep.JSON(stdout)
	} else {
		err = rep.Text(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "orrery: writing report: %v\n", err)
		return exitBadInput
	}
	if rep.Failed() > 0 {
		return exitExpectErr
	}
	return exitOK
}

// simulate builds and runs the scenario and analyses the result. A nil
// report comes with the exit code to use.
func simulate(sc *scenarios.Scenario, stderr io.Writer) (*reports.Report, int) {
	c, err := cluster.Build(sc)
	if err != nil {
		fmt.Fprintf(stderr, "orrery: %s: %v\n", sc.File, err)
		return nil, exitBadInput
	}
	start := time.Now()
	if isTerminal(stderr) {
		c.Eng.SetProgress(1<<18, progressLine(stderr, sc.VariantName, start, c.End()))
	}
	runErr := c.Run()
	wall := time.Since(start)
	if isTerminal(stderr) {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if errors.Is(runErr, sim.ErrEventCap) {
		fmt.Fprintf(stderr, "orrery: warning: stopped at the event cap (spec.maxEvents = %d) at %v\n", sc.Spec.MaxEvents, c.Eng.Now())
	}
	rep := reports.Build(c)
	if err := reports.CheckExpectations(rep, sc); err != nil {
		fmt.Fprintf(stderr, "orrery: %v\n", err)
		return nil, exitBadInput
	}
	rep.Run = &reports.RunInfo{
		WallSeconds:          wall.Seconds(),
		EventsPerSecond:      float64(c.Eng.Processed()) / max(wall.Seconds(), 1e-9),
		SimSecondsPerWallSec: c.Eng.Now().Seconds() / max(wall.Seconds(), 1e-9),
		PeakMemoryBytes:      peakRSS(),
	}
	return rep, exitOK
}

// progressLine prints virtual time reached and events/s, for runs that last
// longer than a couple of seconds.
func progressLine(w io.Writer, variant string, start time.Time, end sim.Time) func(sim.Time, uint64) {
	if variant != "" {
		variant = "variant " + variant + ": "
	}
	var last time.Time
	return func(now sim.Time, processed uint64) {
		t := time.Now()
		if t.Sub(start) < 2*time.Second || t.Sub(last) < 500*time.Millisecond {
			return
		}
		last = t
		elapsed := t.Sub(start).Seconds()
		fmt.Fprintf(w, "\r\033[K%s%v of %v (%.0f%%) · %.2fM events/s", variant, now, end, 100*now.Seconds()/end.Seconds(), float64(processed)/elapsed/1e6)
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// peakRSS is the process's peak resident set size (Linux reports KiB).
func peakRSS() uint64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return uint64(ru.Maxrss) * 1024
}

func writeOutputs(dir string, rep reports.Output) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	outputs := []struct {
		name   string
		render func(io.Writer) error
	}{{"report.json", rep.JSON}, {"report.txt", rep.Text}}
	for _, o := range outputs {
		name, render := o.name, o.render
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		err = render(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", filepath.Join(dir, name), err)
		}
	}
	return nil
}

func cmdValidate(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintf(stderr, "orrery validate: want one scenario file, got %d arguments\n", len(args))
		return exitBadInput
	}
	sc, err := scenarios.Load(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "orrery: %v\n", err)
		return exitBadInput
	}
	printWarnings(sc, stderr)
	extra := ""
	if n := len(sc.Spec.Workload.Objects); n > 0 {
		extra += fmt.Sprintf(", %d workload objects", n)
	}
	if n := len(sc.Spec.Variants); n > 0 {
		extra += fmt.Sprintf(", %d variants", n)
	}
	fmt.Fprintf(stdout, "ok: %s (%s): %d nodes, %v of virtual time, %d faults, %d expectations%s\n",
		sc.Metadata.Name, sc.File, sc.PoolNodes(), sc.Spec.Duration, len(sc.Spec.Faults), len(sc.Spec.Expect), extra)
	return exitOK
}

// printWarnings prints what the scenario's parse let pass — manifest
// fields orrery does not model, ignored — one a line.
func printWarnings(sc *scenarios.Scenario, stderr io.Writer) {
	for _, w := range sc.Warnings() {
		fmt.Fprintf(stderr, "orrery: warning: %v\n", w)
	}
}

func cmdList(args []string, stdout, stderr io.Writer) int {
	if len(args) != 0 {
		fmt.Fprintln(stderr, "orrery list: takes no arguments")
		return exitBadInput
	}
	for _, name := range scenarios.Builtins() {
		sc, err := scenarios.LoadBuiltin(name)
		if err != nil {
			fmt.Fprintf(stderr, "orrery: built-in %s: %v\n", name, err)
			return exitBadInput
		}
		desc := strings.Join(strings.Fields(sc.Metadata.Description), " ")
		fmt.Fprintf(stdout, "%-16s %s\n", name, desc)
	}
	return exitOK
}
