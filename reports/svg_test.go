package reports

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The figure tests read what a figure shows from its SVG: the texts
// (title, axis and lane labels, legend entries, cell values) and the
// filled and stroked paths with their colours and extents on the page.

type svgPath struct {
	fill, stroke string
	opacity      float64 // fill-opacity, 1 when absent
	pts          [][2]float64
}

func (p svgPath) box() (x0, y0, x1, y1 float64) {
	x0, y0, x1, y1 = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, q := range p.pts {
		x0, x1 = min(x0, q[0]), max(x1, q[0])
		y0, y1 = min(y0, q[1]), max(y1, q[1])
	}
	return
}

type svgDoc struct {
	texts []string
	paths []svgPath
	width float64
}

func parseSVG(t *testing.T, data []byte) svgDoc {
	t.Helper()
	var doc svgDoc
	dec := xml.NewDecoder(bytes.NewReader(data))
	inText := false
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch el := tok.(type) {
		case xml.StartElement:
			attr := func(name string) string {
				for _, a := range el.Attr {
					if a.Name.Local == name {
						return a.Value
					}
				}
				return ""
			}
			switch el.Name.Local {
			case "svg":
				doc.width, _ = strconv.ParseFloat(strings.TrimSuffix(attr("width"), "pt"), 64)
			case "text":
				inText = true
				doc.texts = append(doc.texts, "")
			case "path":
				doc.paths = append(doc.paths, pathOf(attr("d"), attr("style")))
			}
		case xml.CharData:
			if inText {
				doc.texts[len(doc.texts)-1] += string(el)
			}
		case xml.EndElement:
			if el.Name.Local == "text" {
				inText = false
			}
		}
	}
	if len(doc.texts) == 0 || len(doc.paths) == 0 {
		t.Fatalf("no texts or paths in the SVG:\n%.500s", data)
	}
	return doc
}

func pathOf(d, style string) svgPath {
	p := svgPath{opacity: 1}
	for _, kv := range strings.Split(style, ";") {
		k, v, _ := strings.Cut(kv, ":")
		switch k {
		case "fill":
			p.fill = v
		case "stroke":
			p.stroke = v
		case "fill-opacity":
			p.opacity, _ = strconv.ParseFloat(v, 64)
		}
	}
	for _, seg := range strings.FieldsFunc(d, func(r rune) bool { return r == 'M' || r == 'L' || r == 'Z' }) {
		xs, ys, ok := strings.Cut(seg, ",")
		if !ok {
			continue
		}
		x, err1 := strconv.ParseFloat(xs, 64)
		y, err2 := strconv.ParseFloat(ys, 64)
		if err1 == nil && err2 == nil {
			p.pts = append(p.pts, [2]float64{x, y})
		}
	}
	return p
}

// filled returns the paths filled with colour (an SVG hex colour) whose
// left edge is left of maxX: the plot area, not the legend beside it.
func (d svgDoc) filled(colour string, maxX float64) []svgPath {
	var out []svgPath
	for _, p := range d.paths {
		if x0, _, _, _ := p.box(); strings.EqualFold(p.fill, colour) && x0 < maxX {
			out = append(out, p)
		}
	}
	return out
}

func (d svgDoc) stroked(colour string) []svgPath {
	var out []svgPath
	for _, p := range d.paths {
		if strings.EqualFold(p.stroke, colour) {
			out = append(out, p)
		}
	}
	return out
}

// missingTexts returns the wanted texts the figure does not show.
func (d svgDoc) missingTexts(want ...string) []string {
	var out []string
	for _, w := range want {
		if !slices.Contains(d.texts, w) {
			out = append(out, w)
		}
	}
	return out
}

// hexOf writes a colour as the SVG backend does (vgsvg's colorString:
// the premultiplied components scaled by 255/alpha, truncated).
func hexOf(c interface{ RGBA() (r, g, b, a uint32) }) string {
	r, g, b, a := c.RGBA()
	if a == 0 {
		return "#000000"
	}
	k := 255 / float64(a)
	return fmt.Sprintf("#%02X%02X%02X", int(float64(r)*k), int(float64(g)*k), int(float64(b)*k))
}
