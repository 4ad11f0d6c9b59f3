package reports

import (
	"fmt"
	"html"
	"math"
	"strings"
	"time"
)

// laneChart is a self-contained SVG of lanes over true time whose every
// bar and mark carries a <title> (hover text in any browser) and its true
// times as data attributes, so that the report's small script can zoom and
// pan it without redrawing from data. Opened alone the SVG is a static
// image.
type laneChart struct {
	id       string
	title    string
	from, to time.Duration
	lanes    []string // top to bottom
	labels   []string
	items    []laneItem
}

// laneItem is a bar (t1 > t0) or a mark (t1 == t0) on a lane; lane -1
// spans every lane.
type laneItem struct {
	lane   int
	t0, t1 time.Duration
	y0, y1 float64 // within the lane, 0 top to 1 bottom
	class  string
	shape  string // for marks: "tick", "dot", "ring", "cross", "tri"
	tip    string
}

const (
	chartW     = 1100.0
	chartLeft  = 150.0
	chartRight = 20.0
	chartTop   = 34.0
	laneH      = 46.0
	axisH      = 34.0
)

func (c *laneChart) laneIndex(name string) int {
	for i, l := range c.lanes {
		if l == name {
			return i
		}
	}
	return -1
}

func (c *laneChart) bar(lane int, t0, t1 time.Duration, y0, y1 float64, class, tip string) {
	c.items = append(c.items, laneItem{lane: lane, t0: t0, t1: t1, y0: y0, y1: y1, class: class, tip: tip})
}

func (c *laneChart) mark(lane int, t time.Duration, y float64, shape, class, tip string) {
	c.items = append(c.items, laneItem{lane: lane, t0: t, t1: t, y0: y, y1: y, class: class, shape: shape, tip: tip})
}

// x maps a true time to the page.
func (c *laneChart) x(t time.Duration) float64 {
	span := max((c.to - c.from).Seconds(), 1e-9)
	return chartLeft + (t-c.from).Seconds()/span*(chartW-chartLeft-chartRight)
}

// SVG renders the chart.
func (c *laneChart) SVG() string {
	h := chartTop + float64(len(c.lanes))*laneH + axisH
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="lanes" id="%s" viewBox="0 0 %.0f %.0f" width="100%%" data-from="%.6f" data-to="%.6f" data-left="%.0f" data-right="%.0f" font-family="sans-serif" font-size="12">`+"\n",
		esc(c.id), chartW, h, c.from.Seconds(), c.to.Seconds(), chartLeft, chartW-chartRight)
	fmt.Fprintf(&b, `<rect width="%.0f" height="%.0f" fill="#fff"/>`+"\n", chartW, h)
	fmt.Fprintf(&b, `<text x="%.0f" y="20" font-size="14" font-weight="600">%s</text>`+"\n", chartLeft, esc(c.title))
	for i, l := range c.labels {
		y := chartTop + float64(i)*laneH
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.1f" width="%.0f" height="%.1f" fill="%s"/>`, chartLeft, y, chartW-chartLeft-chartRight, laneH, []string{"#fafafa", "#f0f0f0"}[i%2])
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end">%s</text>`+"\n", chartLeft-8, y+laneH/2+4, esc(l))
	}
	fmt.Fprintf(&b, `<svg class="plot" x="%.0f" y="0" width="%.0f" height="%.0f" viewBox="%.0f 0 %.0f %.0f" preserveAspectRatio="none" overflow="hidden">`+"\n",
		chartLeft, chartW-chartLeft-chartRight, h, chartLeft, chartW-chartLeft-chartRight, h)
	for _, it := range c.items {
		c.writeItem(&b, it, h)
	}
	b.WriteString("</svg>\n")
	c.writeAxis(&b, h)
	b.WriteString("</svg>")
	return b.String()
}

func (c *laneChart) writeItem(b *strings.Builder, it laneItem, h float64) {
	y0, y1 := chartTop+2, h-axisH-2
	if it.lane >= 0 {
		base := chartTop + float64(it.lane)*laneH
		y0, y1 = base+it.y0*laneH, base+it.y1*laneH
	}
	tip := "<title>" + esc(it.tip) + "</title>"
	x0 := c.x(it.t0)
	if it.t1 > it.t0 {
		w := math.Max(c.x(it.t1)-x0, 1.5)
		fmt.Fprintf(b, `<rect class="%s" x="%.2f" y="%.1f" width="%.2f" height="%.1f" data-t0="%.6f" data-t1="%.6f">%s</rect>`+"\n",
			it.class, x0, y0, w, y1-y0, it.t0.Seconds(), it.t1.Seconds(), tip)
		return
	}
	fmt.Fprintf(b, `<g class="%s" transform="translate(%.2f %.1f)" data-t="%.6f">%s%s</g>`+"\n", it.class, x0, y0, it.t0.Seconds(), markShape(it.shape), tip)
}

func markShape(shape string) string {
	switch shape {
	case "dot":
		return `<circle r="3.5"/>`
	case "ring":
		return `<circle r="3.5" fill="#fff" stroke-width="1.5"/>`
	case "cross":
		return `<path d="M-4,-4L4,4M-4,4L4,-4" stroke-width="2" fill="none"/>`
	case "tri":
		return `<path d="M0,-5L4.5,3L-4.5,3Z"/>`
	default: // tick
		return `<path d="M0,-6L0,6" stroke-width="2" fill="none"/>`
	}
}

func (c *laneChart) writeAxis(b *strings.Builder, h float64) {
	y := h - axisH
	fmt.Fprintf(b, `<g class="axis" data-y="%.1f">`, y)
	fmt.Fprintf(b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#333"/><g class="ticks">`, chartLeft, chartW-chartRight, y, y)
	for _, t := range niceTimes(c.from, c.to, 10) {
		x := c.x(t)
		fmt.Fprintf(b, `<line x1="%.2f" x2="%.2f" y1="%.1f" y2="%.1f" stroke="#333"/><text x="%.2f" y="%.1f" text-anchor="middle">%s</text>`,
			x, x, y, y+5, x, y+18, trimSecs(t))
	}
	fmt.Fprintf(b, `</g><text x="%.0f" y="%.1f" text-anchor="middle" fill="#555">true time (s)</text></g>`+"\n", (chartLeft+chartW-chartRight)/2, y+32)
}

// niceTimes are about n round instants in [from, to].
func niceTimes(from, to time.Duration, n int) []time.Duration {
	span := (to - from).Seconds()
	if span <= 0 {
		return []time.Duration{from}
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []time.Duration
	for v := math.Ceil(from.Seconds()/step) * step; v <= to.Seconds()+1e-9; v += step {
		out = append(out, time.Duration(v*float64(time.Second)))
	}
	return out
}

func trimSecs(t time.Duration) string {
	s := fmt.Sprintf("%.3f", t.Seconds())
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

func esc(s string) string { return html.EscapeString(s) }

// laneStyle colours the chart's classes; it goes into the report once.
const laneStyle = `
svg.lanes .leading { fill: #1f5faa; } svg.lanes .draining { fill: #8cb4e0; }
svg.lanes .paused { fill: #555; opacity: .75; } svg.lanes .overlap { fill: #e02020; opacity: .3; }
svg.lanes .leaderless { fill: #999; opacity: .18; }
svg.lanes .belief { fill: #8cb4e0; opacity: .55; } svg.lanes .late { fill: #d01010; }
svg.lanes .expiry { fill: #000; } svg.lanes .sent { stroke: #444; }
svg.lanes .applied { fill: #1a8a3a; } svg.lanes .answered { stroke: #1f5faa; fill: #fff; }
svg.lanes .failed { stroke: #e67e00; fill: #fff; } svg.lanes .timedout { stroke: #d01010; }
svg.lanes .crash { stroke: #d01010; } svg.lanes .instant { fill: #000; }
svg.lanes .fault-partition { fill: #e67e00; } svg.lanes .fault-pause { fill: #555; }
svg.lanes .fault-apiOutage { fill: #7b3f9e; } svg.lanes .fault-latency { fill: #c8a800; }
svg.lanes .fault-staleReads { fill: #179eaf; } svg.lanes .fault-other { fill: #999; }
svg.lanes [data-t0]:hover, svg.lanes [data-t]:hover { opacity: 1; stroke: #000; }
`

// zoomScript lets a reader zoom (wheel) and pan (drag) every lane chart
// on the x axis and reset it (double click). It rewrites positions from
// each element's data-t0/data-t1/data-t; it fetches nothing.
const zoomScript = `
(function () {
  document.querySelectorAll('svg.lanes').forEach(function (svg) {
    var f0 = +svg.dataset.from, t0 = +svg.dataset.to, L = +svg.dataset.left, R = +svg.dataset.right;
    var from = f0, to = t0, axis = svg.querySelector('g.axis'), y = +axis.dataset.y;
    function X(t) { return L + (t - from) / (to - from) * (R - L); }
    function draw() {
      svg.querySelectorAll('[data-t0]').forEach(function (e) {
        var a = X(+e.dataset.t0), b = X(+e.dataset.t1);
        e.setAttribute('x', a); e.setAttribute('width', Math.max(b - a, 1.5));
      });
      svg.querySelectorAll('[data-t]').forEach(function (e) {
        var tr = e.getAttribute('transform').split(' ');
        e.setAttribute('transform', 'translate(' + X(+e.dataset.t) + ' ' + tr[1]);
      });
      var span = to - from, raw = span / 10;
      var mag = Math.pow(10, Math.floor(Math.log10(raw))), step = mag;
      [1, 2, 5, 10].some(function (m) { step = m * mag; return m * mag >= raw; });
      var ticks = axis.querySelector('g.ticks'), out = '';
      for (var v = Math.ceil(from / step) * step; v <= to + 1e-9; v += step) {
        var x = X(v);
        out += '<line x1="' + x + '" x2="' + x + '" y1="' + y + '" y2="' + (y + 5) + '" stroke="#333"/><text x="' + x + '" y="' + (y + 18) + '" text-anchor="middle">' + (+v.toFixed(3)) + '</text>';
      }
      ticks.innerHTML = out;
    }
    function at(ev) { var r = svg.getBoundingClientRect(); return from + ((ev.clientX - r.left) / r.width * svg.viewBox.baseVal.width - L) / (R - L) * (to - from); }
    svg.addEventListener('wheel', function (ev) {
      ev.preventDefault();
      var c = at(ev), k = ev.deltaY < 0 ? 0.8 : 1.25;
      from = Math.max(f0, c - (c - from) * k); to = Math.min(t0, c + (to - c) * k);
      if (to - from < 1e-3) { to = from + 1e-3; }
      draw();
    }, { passive: false });
    var drag = null;
    svg.addEventListener('mousedown', function (ev) { drag = at(ev); });
    window.addEventListener('mouseup', function () { drag = null; });
    svg.addEventListener('mousemove', function (ev) {
      if (drag === null) return;
      var d = drag - at(ev), w = to - from;
      from = Math.min(Math.max(f0, from + d), t0 - w); to = from + w; draw();
    });
    svg.addEventListener('dblclick', function () { from = f0; to = t0; draw(); });
  });
})();
`
