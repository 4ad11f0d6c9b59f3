package determinism

import (
	"strings"
)

// patterns is a flag.Value: import-path patterns, each an exact path,
// "path/..." for path and everything below it, or either with a leading
// "-" to exclude. A path is matched when an inclusion matches it and no
// exclusion does.
type patterns struct {
	include, exclude []string
	text             string
}

func (p *patterns) String() string {
	if p == nil {
		return ""
	}
	return p.text
}

func (p *patterns) Set(s string) error {
	*p = patterns{text: s}
	for pat := range strings.SplitSeq(s, ",") {
		pat = strings.TrimSpace(pat)
		switch {
		case pat == "":
		case strings.HasPrefix(pat, "-"):
			p.exclude = append(p.exclude, pat[1:])
		default:
			p.include = append(p.include, pat)
		}
	}
	return nil
}

func (p *patterns) match(path string) bool {
	return matchAny(p.include, path) && !matchAny(p.exclude, path)
}

func matchAny(pats []string, path string) bool {
	for _, pat := range pats {
		if tree, ok := strings.CutSuffix(pat, "/..."); ok {
			if path == tree || strings.HasPrefix(path, tree+"/") {
				return true
			}
		} else if path == pat {
			return true
		}
	}
	return false
}
