package scenarios

import (
	"embed"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
)

// The named scenarios ship inside the binary so that `simulate --scenario
// NAME` and the no-argument default run need no files on disk.
//
//go:embed library/*.yaml
var libraryFS embed.FS

// DefaultName is the library scenario the CLI runs when given none.
const DefaultName = "default"

// Entry describes one library scenario.
type Entry struct {
	// Name is the file name without .yaml, which is also metadata.name.
	Name string
	// Description is one sentence on what the scenario demonstrates, from
	// the lesim.dev/description annotation.
	Description string
}

var library struct {
	once    sync.Once
	entries []Entry
	byName  map[string]*Scenario
}

// loadLibrary parses every embedded file once. A file that does not parse
// is a bug in this package (a test parses them all), hence the panic.
func loadLibrary() {
	library.once.Do(func() {
		files, err := libraryFS.ReadDir("library")
		if err != nil {
			panic(err)
		}
		library.byName = map[string]*Scenario{}
		for _, f := range files {
			file := path.Join("library", f.Name())
			data, err := libraryFS.ReadFile(file)
			if err != nil {
				panic(err)
			}
			s, err := Parse(file, data)
			if err != nil {
				panic(fmt.Sprintf("scenarios: embedded library: %v", err))
			}
			name := strings.TrimSuffix(f.Name(), ".yaml")
			library.byName[name] = s
			library.entries = append(library.entries, Entry{Name: name, Description: s.Description()})
		}
		sort.Slice(library.entries, func(i, j int) bool { return library.entries[i].Name < library.entries[j].Name })
	})
}

// Library lists the named scenarios, sorted by name.
func Library() []Entry {
	loadLibrary()
	return append([]Entry(nil), library.entries...)
}

// Named returns a fresh copy of the named library scenario, which the
// caller may modify. An unknown name is a *LoadError, like a bad file.
func Named(name string) (*Scenario, error) {
	loadLibrary()
	s, ok := library.byName[name]
	if !ok {
		names := make([]string, len(library.entries))
		for i, e := range library.entries {
			names[i] = e.Name
		}
		return nil, &LoadError{File: name, Err: errors.New("no such library scenario; expected one of: " + strings.Join(names, ", "))}
	}
	return s.Clone(), nil
}

// NamedYAML returns the library file itself, comments included, for
// `simulate` to show or for users to start a file of their own from.
func NamedYAML(name string) ([]byte, error) {
	if _, err := Named(name); err != nil {
		return nil, err
	}
	return libraryFS.ReadFile(path.Join("library", name+".yaml"))
}
