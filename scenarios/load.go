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
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	yaml2 "go.yaml.in/yaml/v2"
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
}

func (e *LoadError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
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
// sigs.k8s.io/yaml does the actual decoding, but its errors carry no field
// path and its JSON step matches keys case-insensitively and turns booleans
// and numbers into strings where a string is expected (`name: no` becomes
// "false"). So the generic YAML tree is first checked against the Go types,
// by reflection on their json tags, which yields exact paths and rejects
// those silent conversions.
func decode(name string, data []byte) (*Scenario, error) {
	fail := func(errs field.ErrorList, err error) (*Scenario, error) {
		return nil, &LoadError{File: name, Errors: errs, Err: err}
	}
	dec := yaml2.NewDecoder(bytes.NewReader(data))
	var tree any
	if err := dec.Decode(&tree); err != nil && err != io.EOF {
		return fail(nil, yamlError(err))
	}
	// A trailing "---" (an empty document) is common in generated YAML and
	// harmless; a second scenario would be silently ignored, so it is not.
	for {
		var extra any
		err := dec.Decode(&extra)
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(nil, yamlError(err))
		}
		if extra != nil {
			return fail(nil, errors.New("more than one YAML document; expected exactly one Scenario per file"))
		}
	}
	if _, ok := tree.(map[any]any); ok {
		// Only an ordered decoding keeps duplicate keys: the map above
		// has already dropped them.
		var ordered yaml2.MapSlice
		if err := yaml2.Unmarshal(data, &ordered); err == nil {
			if errs := findDuplicateKeys(ordered, nil); len(errs) > 0 {
				return fail(errs, nil)
			}
		}
	}
	if errs := checkTree(tree, reflect.TypeFor[Scenario](), nil); len(errs) > 0 {
		return fail(errs, nil)
	}
	// The checked tree is what the file means, YAML merge keys resolved
	// (an explicit key overrides a merged one, as YAML specifies): decode
	// it rather than the text again.
	j, err := json.Marshal(jsonTree(tree))
	if err != nil {
		return fail(nil, yamlError(err))
	}
	s := &Scenario{}
	jd := json.NewDecoder(bytes.NewReader(j))
	jd.DisallowUnknownFields()
	if err := jd.Decode(s); err != nil {
		// The tree check accepts only what the decoder accepts; this is
		// the backstop for what it does not foresee.
		return fail(nil, yamlError(err))
	}
	return s, nil
}

// jsonTree turns a YAML tree into one encoding/json can write: mappings
// keyed by strings (the tree check has made sure keys are strings where
// the types want them).
func jsonTree(v any) any {
	switch v := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v { //lesim:allow maprange: copies one map into another; the order cannot show
			m[keyString(k)] = jsonTree(e)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, e := range v {
			l[i] = jsonTree(e)
		}
		return l
	}
	return v
}

// yamlError strips the library prefixes from a YAML error and keeps it on
// one line.
func yamlError(err error) error {
	msg := err.Error()
	for _, p := range []string{"error converting YAML to JSON: ", "error unmarshaling JSON: ", "while decoding JSON: ", "yaml: ", "unmarshal errors:"} {
		msg = strings.TrimPrefix(strings.TrimSpace(msg), p)
	}
	msg = strings.Join(strings.Fields(msg), " ")
	return fmt.Errorf("%s; expected a YAML Scenario", msg)
}

// findDuplicateKeys reports every key that occurs twice in one mapping.
func findDuplicateKeys(v any, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch v := v.(type) {
	case yaml2.MapSlice:
		seen := map[string]bool{}
		for _, it := range v {
			k := keyString(it.Key)
			if seen[k] {
				errs = append(errs, field.Forbidden(childPath(p, k), "duplicate key; expected each key at most once in a mapping"))
			}
			seen[k] = true
			errs = append(errs, findDuplicateKeys(it.Value, childPath(p, k))...)
		}
	case []any:
		for i, e := range v {
			errs = append(errs, findDuplicateKeys(e, indexPath(p, i))...)
		}
	}
	return errs
}

func keyString(k any) string {
	if s, ok := k.(string); ok {
		return s
	}
	return fmt.Sprint(k)
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

// checkTree checks a generic YAML value (as yaml.v2 decodes into any)
// against the Go type it will be decoded into.
func checkTree(v any, t reflect.Type, p *field.Path) field.ErrorList {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil {
		// null leaves the field at its zero value, as encoding/json does.
		return nil
	}
	typeErr := func(detail string) field.ErrorList {
		return field.ErrorList{field.TypeInvalid(p, v, detail)}
	}
	if t == durationType {
		s, ok := v.(string)
		if !ok {
			if isScalar(v) {
				return typeErr(fmt.Sprintf("invalid duration %s; expected a Go duration such as 90s or 10m", describe(v)))
			}
			return typeErr(fmt.Sprintf("got %s; expected a Go duration such as 90s or 10m", describe(v)))
		}
		if _, err := time.ParseDuration(s); err != nil {
			return typeErr(fmt.Sprintf("invalid duration %q; expected a Go duration such as 90s or 10m", s))
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[any]any)
		if !ok {
			return typeErr(fmt.Sprintf("got %s; expected a mapping with fields: %s", describe(v), fieldNames(t)))
		}
		return checkStruct(m, t, p)
	case reflect.Slice:
		l, ok := v.([]any)
		if !ok {
			return typeErr(fmt.Sprintf("got %s; expected a list", describe(v)))
		}
		var errs field.ErrorList
		for i, e := range l {
			errs = append(errs, checkTree(e, t.Elem(), indexPath(p, i))...)
		}
		return errs
	case reflect.Map:
		m, ok := v.(map[any]any)
		if !ok {
			return typeErr(fmt.Sprintf("got %s; expected a mapping of strings to strings", describe(v)))
		}
		var errs field.ErrorList
		for _, k := range sortedKeys(m) {
			kp := p.Key(keyString(k))
			if _, ok := k.(string); !ok {
				errs = append(errs, field.TypeInvalid(kp, k, fmt.Sprintf("got key %s; expected a string key (quote it)", describe(k))))
				continue
			}
			errs = append(errs, checkTree(m[k], t.Elem(), kp)...)
		}
		return errs
	default:
		return checkScalar(v, t, p)
	}
}

// checkScalar is checkTree for the scalar kinds.
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
		panic(fmt.Sprintf("scenarios: checkTree: unhandled type %v at %s", t, p))
	}
	return nil
}

func checkStruct(m map[any]any, t reflect.Type, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	fields := jsonFields(t)
	known := map[string]bool{}
	for _, f := range fields {
		known[f.name] = true
	}
	for _, k := range sortedKeys(m) {
		ks, ok := k.(string)
		if !ok || !known[ks] {
			errs = append(errs, field.Forbidden(childPath(p, keyString(k)), "unknown field; expected one of: "+fieldNames(t)))
		}
	}
	for _, f := range fields {
		if v, ok := m[f.name]; ok {
			errs = append(errs, checkTree(v, f.typ, childPath(p, f.name))...)
		}
	}
	return errs
}

func fieldNames(t reflect.Type) string {
	var names []string
	for _, f := range jsonFields(t) {
		names = append(names, f.name)
	}
	return strings.Join(names, ", ")
}

// sortedKeys orders a mapping's keys so that messages do not depend on map
// iteration order.
func sortedKeys(m map[any]any) []any {
	keys := make([]any, 0, len(m))
	for k := range m { //lesim:allow maprange: the keys are sorted below
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keyString(keys[i]) < keyString(keys[j]) })
	return keys
}

func isScalar(v any) bool {
	switch v.(type) {
	case map[any]any, []any, nil:
		return false
	}
	return true
}

// describe names a YAML value for a message.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case map[any]any:
		return "a mapping"
	case []any:
		return "a list"
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
