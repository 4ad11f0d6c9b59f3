package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/gate"
)

// loadSuite reads every *.yaml / *.yml file of dir, or the library.
func loadSuite(dir string, library bool) ([]gate.Scenario, error) {
	var out []gate.Scenario
	if library {
		for _, e := range scenarios.Library() {
			sc, err := scenarios.Named(e.Name)
			if err != nil {
				return nil, err
			}
			out = append(out, gate.Scenario{Name: e.Name, Sc: sc})
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
		out = append(out, gate.Scenario{Name: name, Sc: sc})
	}
	return out, nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
