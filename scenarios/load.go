package scenarios

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	yaml3 "go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

// LoadError is a scenario that could not be read, decoded or validated.
// Error is one line naming the file, the field path, what is wrong and what
// is expected, fit for a CLI to print before exiting with status 2.
type LoadError struct {
	// File is the name the scenario was loaded under.
	File string
	// Errors are the problems found in the file's content, in the order
	// of the file's structure.
	Errors field.ErrorList
	// Err is a problem with no field path: the file cannot be read or is
	// not YAML. Either Err or Errors is set.
	Err error
	// Line and Column locate Errors[0] in the file, from 1; zero when
	// the error is about the decoded scenario rather than a place in
	// the text.
	Line, Column int
}

func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	switch {
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	case len(e.Errors) > 0:
		b.WriteString(Message(e.Errors[0]))
		if n := len(e.Errors) - 1; n > 0 {
			fmt.Fprintf(&b, " (and %d more)", n)
		}
	default:
		b.WriteString("invalid scenario")
	}
	return oneLine(b.String())
}

// Unwrap gives access to the cause of a read error (fs.ErrNotExist, ...).
func (e *LoadError) Unwrap() error { return e.Err }

// Message renders one field error as "PATH: what is wrong; expected ...".
// field.Error's own rendering ("Invalid value: ...") is kept for the
// ErrorList; this one is what users read.
func Message(e *field.Error) string {
	var body string
	switch e.Type {
	case field.ErrorTypeRequired:
		body = "required field missing; expected " + e.Detail
	case field.ErrorTypeNotSupported:
		body = fmt.Sprintf("unsupported value %s; expected one of: %s", showValue(e.BadValue), strings.TrimPrefix(e.Detail, "supported values: "))
	case field.ErrorTypeDuplicate:
		body = fmt.Sprintf("duplicate value %s; expected %s", showValue(e.BadValue), e.Detail)
	case field.ErrorTypeNotFound:
		body = fmt.Sprintf("%s not found; expected %s", showValue(e.BadValue), e.Detail)
	case field.ErrorTypeInvalid, field.ErrorTypeTypeInvalid, field.ErrorTypeForbidden:
		body = e.Detail
	default:
		body = e.ErrorBody()
	}
	if e.Field == "" || e.Field == "<nil>" {
		return body
	}
	return e.Field + ": " + body
}

func showValue(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

// oneLine keeps a message on one line whatever a file smuggles into it
// (keys and values are user text).
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// Load reads, decodes, defaults and validates the scenario file at path.
func Load(path string) (*Scenario, error) {
	data, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// MaxFileSize bounds a scenario file: the largest library scenario is a
// few kilobytes.
const MaxFileSize = 1 << 20

// ReadFile reads a scenario file (or a file a command takes in its place,
// such as a summary.json): a regular file of at most MaxFileSize bytes.
// Devices and FIFOs are refused before they are opened, so that /dev/zero
// cannot exhaust memory and a FIFO cannot block. Errors are *LoadError.
func ReadFile(path string) ([]byte, error) {
	fail := func(err error) ([]byte, error) {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &LoadError{File: path, Err: fmt.Errorf("cannot read the file: %w; expected a readable scenario file", err)}
	}
	st, err := os.Stat(path)
	if err != nil {
		return fail(err)
	}
	if !st.Mode().IsRegular() {
		return nil, &LoadError{File: path, Err: fmt.Errorf("not a regular file (%s); expected a scenario file", st.Mode().Type())}
	}
	f, err := os.Open(path)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return fail(err)
	}
	if len(data) > MaxFileSize {
		return nil, &LoadError{File: path, Err: fmt.Errorf("larger than %d bytes; expected a scenario file", MaxFileSize)}
	}
	return data, nil
}

// Parse decodes, defaults and validates a scenario. name is the file name
// used in error messages. The decoding is strict: unknown fields (including
// case variants of known ones), duplicate keys, values of the wrong type and
// malformed durations are errors with the field path of the offender.
func Parse(name string, data []byte) (*Scenario, error) {
	s, err := decode(name, data)
	if err != nil {
		return nil, err
	}
	// Validation before defaulting, so that messages can tell a value the
	// file wrote from a default it did not.
	if errs := s.Validate(); len(errs) > 0 {
		return nil, &LoadError{File: name, Errors: errs}
	}
	Default(s)
	return s, nil
}

// decode is Parse without validation and defaults.
//
// The file is parsed once into a yaml3.Node tree, which is checked against
// the Go types by reflection on their json tags: that yields exact paths
// and positions for duplicate keys, unknown fields (including case
// variants, which encoding/json would match) and values of the wrong type,
// and rejects the silent conversions a YAML-to-JSON step makes (`name: no`
// becoming "false"). The same walk builds the generic value, merge keys
// and aliases resolved, that a strict encoding/json decoder then reads.
func decode(name string, data []byte) (*Scenario, error) {
	fail := func(err error) (*Scenario, error) {
		return nil, &LoadError{File: name, Err: err}
	}
	dec := yaml3.NewDecoder(bytes.NewReader(data))
	var doc yaml3.Node
	if err := dec.Decode(&doc); err != nil && err != io.EOF {
		return fail(yamlError(err))
	}
	// A trailing "---" (an empty document) is common in generated YAML and
	// harmless; a second scenario would be silently ignored, so it is not.
	for {
		var extra yaml3.Node
		err := dec.Decode(&extra)
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(yamlError(err))
		}
		if documentRoot(&extra) != nil {
			return fail(errors.New("more than one YAML document; expected exactly one Scenario per file"))
		}
	}
	var tree any
	if root := documentRoot(&doc); root != nil {
		b := aliasBudget(len(data))
		w := &walker{budget: b, limit: b}
		tree = w.value(root, reflect.TypeFor[Scenario](), nil)
		if len(w.errs) > 0 {
			return nil, &LoadError{File: name, Errors: w.errs, Line: w.first.Line, Column: w.first.Column}
		}
	}
	j, err := json.Marshal(tree)
	if err != nil {
		return fail(yamlError(err))
	}
	s := &Scenario{}
	jd := json.NewDecoder(bytes.NewReader(j))
	jd.DisallowUnknownFields()
	if err := jd.Decode(s); err != nil {
		// The walk accepts only what the decoder accepts; this is the
		// backstop for what it does not foresee.
		return fail(yamlError(err))
	}
	return s, nil
}

// documentRoot is a document's content, nil for an empty document.
func documentRoot(doc *yaml3.Node) *yaml3.Node {
	if doc.Kind != yaml3.DocumentNode || len(doc.Content) == 0 {
		return nil
	}
	if r := doc.Content[0]; r.Kind != yaml3.ScalarNode || r.ShortTag() != "!!null" {
		return r
	}
	return nil
}

// aliasBudget bounds the values the walk visits. Without aliases a file
// has at most about one value per byte; aliases can make a few hundred
// bytes stand for billions of values (an alias bomb).
func aliasBudget(size int) int { return 2*size + 1000 }

// yamlError strips the library prefixes from a YAML error and keeps it on
// one line.
func yamlError(err error) error {
	msg := err.Error()
	for _, p := range []string{"error unmarshaling JSON: ", "while decoding JSON: ", "yaml: ", "unmarshal errors:"} {
		msg = strings.TrimPrefix(strings.TrimSpace(msg), p)
	}
	msg = strings.Join(strings.Fields(msg), " ")
	return fmt.Errorf("%s; expected a YAML Scenario", msg)
}

// walker checks a YAML node tree against a Go type and builds the value
// encoding/json writes for it.
type walker struct {
	// budget is how many more values may be visited; -1 once spent.
	budget, limit int
	errs          field.ErrorList
	// first is the node of errs[0], whose position the message shows.
	first *yaml3.Node
	// via is the outermost alias being expanded: where a budget error
	// points, since the nodes it reaches are written elsewhere.
	via *yaml3.Node
}

// through records a as the alias being expanded unless one already is,
// and returns the function that forgets it.
func (w *walker) through(a *yaml3.Node) func() {
	if a.Kind != yaml3.AliasNode || w.via != nil {
		return func() {}
	}
	w.via = a
	return func() { w.via = nil }
}

func (w *walker) fail(n *yaml3.Node, errs ...*field.Error) {
	if len(w.errs) == 0 {
		w.first = n
	}
	w.errs = append(w.errs, errs...)
}

// spend counts one visited value and reports whether the budget allows it.
func (w *walker) spend(n *yaml3.Node, p *field.Path) bool {
	if w.budget < 0 {
		return false
	}
	if w.budget == 0 {
		w.budget = -1
		if w.via != nil {
			n = w.via
		}
		w.fail(n, field.Forbidden(p, fmt.Sprintf("aliases expand the document to more than %d values; expected at most %d (two per byte of the file, plus 1000)", w.limit, w.limit)))
		return false
	}
	w.budget--
	return true
}

// deref follows an alias to its anchored node.
func deref(n *yaml3.Node) *yaml3.Node {
	for n.Kind == yaml3.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// value checks n against t and returns the value encoding/json writes
// for it.
func (w *walker) value(n *yaml3.Node, t reflect.Type, p *field.Path) any {
	defer w.through(n)()
	n = deref(n)
	if !w.spend(n, p) {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml3.ScalarNode && n.ShortTag() == "!!null" {
		// null leaves the field at its zero value, as encoding/json does.
		return nil
	}
	typeErr := func(detail string, args ...any) any {
		w.fail(n, field.TypeInvalid(p, n.Value, fmt.Sprintf(detail, args...)))
		return nil
	}
	switch {
	case t == durationType:
		v := w.leaf(n, p)
		s, ok := v.(string)
		switch {
		case n.Kind != yaml3.ScalarNode:
			return typeErr("got %s; expected a Go duration such as 90s or 10m", describe(v))
		case !ok:
			return typeErr("invalid duration %s; expected a Go duration such as 90s or 10m", describe(v))
		}
		if _, err := time.ParseDuration(s); err != nil {
			return typeErr("invalid duration %q; expected a Go duration such as 90s or 10m", s)
		}
		return s
	case t.Kind() == reflect.Struct:
		if n.Kind != yaml3.MappingNode {
			return typeErr("got %s; expected a mapping with fields: %s", describe(w.leaf(n, p)), fieldNames(t))
		}
		return w.object(n, t, p)
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml3.SequenceNode {
			return typeErr("got %s; expected a list", describe(w.leaf(n, p)))
		}
		l := make([]any, len(n.Content))
		for i, e := range n.Content {
			l[i] = w.value(e, t.Elem(), indexPath(p, i))
		}
		return l
	case t.Kind() == reflect.Map:
		if n.Kind != yaml3.MappingNode {
			return typeErr("got %s; expected a mapping of strings to strings", describe(w.leaf(n, p)))
		}
		m := map[string]any{}
		for _, e := range w.entries(n, p) {
			kp := p.Key(e.name)
			if k := w.leaf(e.key, kp); reflect.TypeOf(k) != stringType {
				w.fail(e.key, field.TypeInvalid(kp, k, fmt.Sprintf("got key %s; expected a string key (quote it)", describe(k))))
				continue
			}
			m[e.name] = w.value(e.val, t.Elem(), kp)
		}
		return m
	}
	before := len(w.errs)
	v := w.leaf(n, p)
	if len(w.errs) > before {
		return nil // unreadable, and already reported
	}
	if errs := checkScalar(v, t, p); len(errs) > 0 {
		w.fail(n, errs...)
		return nil
	}
	return v
}

func (w *walker) object(n *yaml3.Node, t reflect.Type, p *field.Path) any {
	fields := map[string]reflect.Type{}
	for _, f := range jsonFields(t) {
		fields[f.name] = f.typ
	}
	m := map[string]any{}
	for _, e := range w.entries(n, p) {
		ft, ok := fields[e.name]
		if _, isString := w.leaf(e.key, p).(string); !ok || !isString {
			w.fail(e.key, field.Forbidden(childPath(p, e.name), "unknown field; expected one of: "+fieldNames(t)))
			continue
		}
		m[e.name] = w.value(e.val, ft, childPath(p, e.name))
	}
	return m
}

// entry is one key of a mapping and its value.
type entry struct {
	key, val *yaml3.Node
	name     string
}

// entries lists a mapping's keys in file order, merge keys (<<)
// resolved as YAML specifies: a key written in the mapping overrides a
// merged one, and among merged mappings the first listed wins. A key
// written twice is reported.
func (w *walker) entries(n *yaml3.Node, p *field.Path) []entry {
	var own, merged []entry
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if !w.spend(k, p) {
			return nil
		}
		if k.Kind == yaml3.ScalarNode && k.ShortTag() == "!!merge" {
			merged = append(merged, w.merge(v, p)...)
			continue
		}
		name := k.Value
		if k.Kind != yaml3.ScalarNode {
			name = describe(w.leaf(k, p))
		}
		if seen[name] {
			w.fail(k, field.Forbidden(childPath(p, name), "duplicate key; expected each key at most once in a mapping"))
			continue
		}
		seen[name] = true
		own = append(own, entry{key: k, val: v, name: name})
	}
	for _, e := range merged {
		if !seen[e.name] {
			seen[e.name] = true
			own = append(own, e)
		}
	}
	return own
}

// merge lists the entries a merge key's value brings: one mapping or a
// list of them.
func (w *walker) merge(v *yaml3.Node, p *field.Path) []entry {
	defer w.through(v)()
	maps := []*yaml3.Node{v}
	if v = deref(v); v.Kind == yaml3.SequenceNode {
		maps = v.Content
	}
	var out []entry
	for _, m := range maps {
		done := w.through(m)
		if m = deref(m); m.Kind != yaml3.MappingNode {
			done()
			w.fail(m, field.TypeInvalid(childPath(p, "<<"), m.Value, fmt.Sprintf("got %s to merge; expected a mapping or a list of mappings", describe(w.leaf(m, p)))))
			return nil
		}
		out = append(out, w.entries(m, p)...)
		done()
	}
	return out
}

// composite stands for a mapping or a list where a scalar was expected.
type composite string

// leaf is the scalar n stands for, resolved as YAML 1.1 does (as
// sigs.k8s.io/yaml and so kubectl read it): y, n, yes, no, on and off,
// unquoted, are booleans. Timestamps stay strings.
func (w *walker) leaf(n *yaml3.Node, p *field.Path) any {
	switch n = deref(n); {
	case n.Kind == yaml3.MappingNode:
		return composite("a mapping")
	case n.Kind != yaml3.ScalarNode:
		return composite("a list")
	}
	quoted := n.Style&(yaml3.TaggedStyle|yaml3.DoubleQuotedStyle|yaml3.SingleQuotedStyle|yaml3.LiteralStyle|yaml3.FoldedStyle) != 0
	switch n.ShortTag() {
	case "!!str", "!!timestamp":
		if b, ok := yaml11Bools[n.Value]; ok && !quoted {
			return b
		}
		return n.Value
	}
	var v any
	if err := n.Decode(&v); err != nil {
		w.fail(n, field.Invalid(p, n.Value, yamlError(err).Error()))
		return composite("an unreadable value")
	}
	return v
}

var yaml11Bools = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"n": false, "N": false, "no": false, "No": false, "NO": false, "off": false, "Off": false, "OFF": false,
}

// childPath appends a key, quoting one that would make the path ambiguous
// or unreadable.
func childPath(p *field.Path, k string) *field.Path {
	plain := k != ""
	for _, r := range k {
		if !(r == '-' || r == '_' || r == '/' || r == '.' || r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r))) {
			plain = false
		}
	}
	if !plain {
		k = strconv.Quote(k)
	}
	if p == nil {
		return field.NewPath(k)
	}
	return p.Child(k)
}

func indexPath(p *field.Path, i int) *field.Path {
	if p == nil {
		return field.NewPath(fmt.Sprintf("[%d]", i))
	}
	return p.Index(i)
}

var (
	durationType = reflect.TypeFor[metav1.Duration]()
	stringType   = reflect.TypeFor[string]()
	typeMetaType = reflect.TypeFor[metav1.TypeMeta]()
)

// jsonField is a struct field as encoding/json sees it.
type jsonField struct {
	name  string
	index []int
	typ   reflect.Type
}

// jsonFields lists t's fields by json name in declaration order, with
// inline (anonymous, unnamed) structs flattened as encoding/json does.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			subs := jsonFields(f.Type)
			if f.Type == typeMetaType {
				// TypeMeta declares kind first; manifests, and so
				// messages and docs, put apiVersion first.
				slices.Reverse(subs)
			}
			for _, sub := range subs {
				sub.index = append([]int{i}, sub.index...)
				out = append(out, sub)
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{name: name, index: []int{i}, typ: f.Type})
	}
	return out
}

// checkScalar checks a scalar against the scalar kind it is decoded into.
func checkScalar(v any, t reflect.Type, p *field.Path) field.ErrorList {
	typeErr := func(detail string) field.ErrorList {
		return field.ErrorList{field.TypeInvalid(p, v, detail)}
	}
	switch t.Kind() {
	case reflect.String:
		if _, ok := v.(string); !ok {
			hint := ""
			if _, isBool := v.(bool); isBool {
				hint = " (YAML reads unquoted y, n, yes, no, on and off as booleans: quote the value)"
			}
			return typeErr(fmt.Sprintf("got %s; expected a string%s", describe(v), hint))
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return typeErr(fmt.Sprintf("got %s; expected true or false", describe(v)))
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		switch n := v.(type) {
		case int:
			if t.Kind() == reflect.Int32 && (n < math.MinInt32 || n > math.MaxInt32) {
				return typeErr(fmt.Sprintf("got %d; expected an integer that fits in 32 bits", n))
			}
		default:
			return typeErr(fmt.Sprintf("got %s; expected an integer", describe(v)))
		}
	case reflect.Uint64, reflect.Uint:
		switch n := v.(type) {
		case int:
			if n < 0 {
				return typeErr(fmt.Sprintf("got %d; expected an integer from 0 to %d", n, uint64(math.MaxUint64)))
			}
		case uint64:
		default:
			return typeErr(fmt.Sprintf("got %s; expected an integer from 0 to %d", describe(v), uint64(math.MaxUint64)))
		}
	case reflect.Float64:
		switch n := v.(type) {
		case int, uint64:
		case float64:
			if math.IsNaN(n) || math.IsInf(n, 0) {
				return typeErr(fmt.Sprintf("got %v; expected a finite number", n))
			}
		default:
			return typeErr(fmt.Sprintf("got %s; expected a number", describe(v)))
		}
	default:
		panic(fmt.Sprintf("scenarios: checkScalar: unhandled type %v at %s", t, p))
	}
	return nil
}

func fieldNames(t reflect.Type) string {
	var names []string
	for _, f := range jsonFields(t) {
		names = append(names, f.name)
	}
	return strings.Join(names, ", ")
}

// describe names a YAML value for a message.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case composite:
		return string(v)
	case string:
		return strconv.Quote(v)
	case bool:
		return "boolean " + strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	default:
		return fmt.Sprint(v)
	}
}

// Marshal writes the scenario as YAML. Parse reads the result back to a
// scenario equal to s whenever s itself came from Parse (or was defaulted
// and is valid).
//
// It is sigs.k8s.io/yaml.Marshal with one repair: JSON lets strings carry
// characters YAML does not (DEL, C1 controls), which yaml.v2 then refuses;
// those are written as escapes, which both read back as the same string.
func (s *Scenario) Marshal() ([]byte, error) {
	j, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	return yaml.JSONToYAML(escapeForYAML(j))
}

// escapeForYAML rewrites the characters of a JSON text that YAML cannot
// hold raw as \u escapes. They can only occur inside strings.
func escapeForYAML(j []byte) []byte {
	if !slices.ContainsFunc([]rune(string(j)), notYAMLPrintable) {
		return j
	}
	var b bytes.Buffer
	for _, r := range string(j) {
		if notYAMLPrintable(r) {
			fmt.Fprintf(&b, "\\u%04x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.Bytes()
}

// notYAMLPrintable is the complement of YAML 1.1's printable set, less the
// characters JSON always escapes (the C0 controls).
func notYAMLPrintable(r rune) bool {
	switch {
	case r == 0x7f, r >= 0x80 && r <= 0x9f && r != 0x85:
		return true
	case r >= 0xd800 && r <= 0xdfff, r == 0xfffe, r == 0xffff:
		return true
	}
	return false
}

// Clone returns a deep copy of s: nothing in it aliases s.
func (s *Scenario) Clone() *Scenario {
	if s == nil {
		return nil
	}
	out := reflect.New(reflect.TypeFor[Scenario]())
	deepCopy(out.Elem(), reflect.ValueOf(s).Elem())
	return out.Interface().(*Scenario)
}

// deepCopy copies src into dst, which has src's type and is settable. The
// scenario types hold only exported fields, pointers, slices, maps and
// scalars, so a reflective copy cannot fall out of date with them.
func deepCopy(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		p := reflect.New(src.Type().Elem())
		deepCopy(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Struct:
		for i := range src.NumField() {
			deepCopy(dst.Field(i), src.Field(i))
		}
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		l := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			deepCopy(l.Index(i), src.Index(i))
		}
		dst.Set(l)
	case reflect.Map:
		if src.IsNil() {
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		iter := src.MapRange()
		for iter.Next() {
			v := reflect.New(src.Type().Elem()).Elem()
			deepCopy(v, iter.Value())
			m.SetMapIndex(iter.Key(), v)
		}
		dst.Set(m)
	default:
		dst.Set(src)
	}
}
