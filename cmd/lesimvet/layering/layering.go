// Package layering states lesim's import layering and checks an import
// graph against it. From the bottom:
//
//  0. sim (the kernel) and elector (the state machine): neither imports
//     any lesim package — the elector runs on any clock and any lock;
//  1. fakeapi/...: the simulated API server over the kernel, its REST
//     surface, and the lease lock that connects the elector to it;
//  2. scenarios/...: the scenario model, runner, checkers and what drives
//     whole runs (conformance against client-go among them);
//  3. reports/...: rendering and analysis of results;
//  4. cmd/...: the commands.
//
// A package may import packages of lower layers, and packages under its
// own top-level folder; never a package above it, nor another folder of
// its own layer (sim and elector stay apart). Every package of the module
// must be in a layer.
package layering

import (
	"fmt"
	"slices"
	"strings"
)

// Module is the import path of the module the layers are stated for.
const Module = "github.com/lesim/lesim"

// layers lists the top-level folders of each layer, from the bottom.
func layers() [][]string {
	return [][]string{
		{"sim", "elector"},
		{"fakeapi"},
		{"scenarios"},
		{"reports"},
		{"cmd"},
	}
}

// isolated are the folders that import no lesim package at all.
func isolated() []string { return []string{"sim", "elector"} }

// place is where a package of the module sits: its top-level folder and
// the layer of that folder (-1: none).
func place(path string) (folder string, layer int) {
	rel, ok := strings.CutPrefix(path, Module+"/")
	if !ok {
		return "", -1
	}
	folder, _, _ = strings.Cut(rel, "/")
	for i, l := range layers() {
		if slices.Contains(l, folder) {
			return folder, i
		}
	}
	return folder, -1
}

// Check returns one line per breach of the layering in imports, a map
// from each package of the module to the packages it imports (others are
// ignored), in the order of the sorted package paths.
func Check(imports map[string][]string) []string {
	var out []string
	paths := make([]string, 0, len(imports))
	for p := range imports {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		if p != Module && !strings.HasPrefix(p, Module+"/") {
			continue
		}
		folder, layer := place(p)
		if layer < 0 {
			out = append(out, fmt.Sprintf("%s is in no layer (top-level folder %q); place it in layering.layers", p, folder))
			continue
		}
		for _, imp := range slices.Sorted(slices.Values(imports[p])) {
			if msg := checkImport(p, folder, layer, imp); msg != "" {
				out = append(out, msg)
			}
		}
	}
	return out
}

func checkImport(p, folder string, layer int, imp string) string {
	if imp != Module && !strings.HasPrefix(imp, Module+"/") {
		return ""
	}
	if slices.Contains(isolated(), folder) && folder != "" {
		if f, _ := place(imp); f != folder {
			return fmt.Sprintf("%s imports %s: %s imports no lesim package outside itself", p, imp, folder)
		}
		return ""
	}
	impFolder, impLayer := place(imp)
	switch {
	case impFolder == folder:
		return ""
	case impLayer < 0:
		return fmt.Sprintf("%s imports %s, which is in no layer", p, imp)
	case impLayer >= layer:
		return fmt.Sprintf("%s (layer %d, %s) imports %s (layer %d, %s): a package imports only layers below its own", p, layer, folder, imp, impLayer, impFolder)
	}
	return ""
}
