package determinism

import (
	"fmt"
	"go/ast"
	"go/token"
	"slices"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// allowPrefix starts an escape comment.
const allowPrefix = "lesim:allow"

// allow is one escape comment.
type allow struct {
	pos   token.Pos
	line  int // the line it covers besides its own (the next one, for a comment alone on its line)
	own   int // its own line
	rules []string
	valid bool
	used  bool
}

func (a *allow) covers(line int) bool { return line == a.own || line == a.line }

func (a *allow) allows(rule string) bool { return slices.Contains(a.rules, rule) }

// parseAllows finds the escape comments of f. It reports malformed ones,
// and every one when the package is not checked (it would mean nothing).
func parseAllows(pass *analysis.Pass, f *ast.File, tf *token.File, checked bool) ([]*allow, error) {
	var src []byte
	var out []*allow
	for _, cg := range f.Comments {
		for _, cm := range cg.List {
			text := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(cm.Text, "//"), "/*"))
			if !strings.HasPrefix(text, allowPrefix) {
				continue
			}
			if !checked {
				pass.Reportf(cm.Pos(), "lesim:allow in %s, which is not a simulated package: nothing is checked here; remove it", pass.Pkg.Path())
				continue
			}
			if src == nil {
				var err error
				if src, err = pass.ReadFile(tf.Name()); err != nil {
					return nil, err
				}
			}
			a := &allow{pos: cm.Pos(), own: tf.Line(cm.Pos())}
			a.line = a.own
			if alone(src, tf, cm.Pos()) {
				a.line = a.own + 1
			}
			rules, err := parseAllow(strings.TrimPrefix(text, allowPrefix))
			if err != nil {
				pass.Reportf(cm.Pos(), "malformed escape: %v; expected //lesim:allow <rule>[,<rule>]: <reason> with rules from %s", err, strings.Join(ruleNames(), ", "))
			} else {
				a.rules, a.valid = rules, true
			}
			out = append(out, a)
		}
	}
	return out, nil
}

// parseAllow parses " <rule>[,<rule>]: <reason>".
func parseAllow(s string) ([]string, error) {
	if s != "" && s[0] != ' ' && s[0] != '\t' {
		return nil, fmt.Errorf("no space after %s", allowPrefix)
	}
	names, reason, ok := strings.Cut(s, ":")
	if !ok || strings.TrimSpace(reason) == "" {
		return nil, fmt.Errorf("no reason after the rule")
	}
	var rules []string
	for r := range strings.SplitSeq(names, ",") {
		r = strings.TrimSpace(r)
		if !slices.Contains(ruleNames(), r) {
			return nil, fmt.Errorf("unknown rule %q", r)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// alone reports whether only white space precedes pos on its line.
func alone(src []byte, tf *token.File, pos token.Pos) bool {
	off := tf.Offset(pos)
	start := tf.Offset(tf.LineStart(tf.Line(pos)))
	if off > len(src) || start > off {
		return false
	}
	return strings.TrimSpace(string(src[start:off])) == ""
}
