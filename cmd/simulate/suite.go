package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lesim/lesim/reports"
	"github.com/lesim/lesim/scenarios"
)

// suiteEntry is one scenario of a suite (gate).
type suiteEntry struct {
	name string
	sc   *scenarios.Scenario
}

// loadSuite reads every *.yaml / *.yml file of dir, or the library.
func loadSuite(dir string, library bool) ([]suiteEntry, error) {
	var out []suiteEntry
	if library {
		for _, e := range scenarios.Library() {
			sc, err := scenarios.Named(e.Name)
			if err != nil {
				return nil, err
			}
			out = append(out, suiteEntry{name: e.Name, sc: sc})
		}
		return out, nil
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, badInput("%s: %v; expected a directory of scenario files", dir, unwrapPathError(err))
	}
	if !st.IsDir() {
		return nil, badInput("%s: not a directory; expected a directory of scenario files", dir)
	}
	var files []string
	for _, pat := range []string{"*.yaml", "*.yml"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		files = append(files, m...)
	}
	slices.Sort(files)
	if len(files) == 0 {
		return nil, badInput("%s: no *.yaml files; expected a directory of scenario files", dir)
	}
	seen := map[string]string{}
	for _, f := range files {
		sc, err := scenarios.Load(f)
		if err != nil {
			return nil, err
		}
		name := sc.Metadata.Name
		if name == "" {
			name = strings.TrimSuffix(strings.TrimSuffix(filepath.Base(f), ".yaml"), ".yml")
		}
		if prev, dup := seen[name]; dup {
			return nil, badInput("%s: scenario name %q is also used by %s; expected unique metadata.name values in a suite", f, name, prev)
		}
		seen[name] = f
		out = append(out, suiteEntry{name: name, sc: sc})
	}
	return out, nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// suiteResult is one scenario's run.
type suiteResult struct {
	summary reports.Summary
	elapsed time.Duration
	err     error
}

// runSuite runs the entries on jobs workers; results are in entry order.
func runSuite(entries []suiteEntry, jobs int) ([]suiteResult, error) {
	results := make([]suiteResult, len(entries))
	work := make(chan int)
	var wg sync.WaitGroup
	for range max(jobs, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				start := time.Now()
				res, err := scenarios.Run(entries[i].sc)
				results[i].elapsed = time.Since(start)
				if err != nil {
					results[i].err = err
					continue
				}
				results[i].summary = reports.NewSummary(res)
				results[i].summary.Scenario = entries[i].name
			}
		}()
	}
	for i := range entries {
		work <- i
	}
	close(work)
	wg.Wait()
	for i, r := range results {
		if r.err != nil {
			return nil, fmt.Errorf("%s: %w", entries[i].name, r.err)
		}
	}
	return results, nil
}
