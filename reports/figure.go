package reports

import (
	"bytes"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Figure is a drawing of a fixed size that renders to PNG and SVG.
type Figure struct {
	// Name is the base name of the files Save writes (timeline.png, ...).
	Name string
	// Title says what the figure shows; the HTML report uses it as the
	// caption.
	Title         string
	Width, Height vg.Length
	draw          func(draw.Canvas)
}

// pngDPI makes a 10-inch figure 1200 pixels wide: sharp on today's
// screens, small enough to embed.
const pngDPI = 120

// PNG renders the figure as a PNG image.
func (f *Figure) PNG() ([]byte, error) {
	c := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(pngDPI), vgimg.UseBackgroundColor(color.White))}
	f.draw(draw.New(c))
	return writeTo(c)
}

// SVG renders the figure as an SVG document.
func (f *Figure) SVG() ([]byte, error) {
	c := vgsvg.New(f.Width, f.Height)
	dc := draw.New(c)
	// SVG has no background: paint one so that the figure reads the
	// same on a dark page as the PNG does.
	dc.FillPolygon(color.White, []vg.Point{{X: 0, Y: 0}, {X: f.Width, Y: 0}, {X: f.Width, Y: f.Height}, {X: 0, Y: f.Height}})
	f.draw(dc)
	return writeTo(c)
}

func writeTo(w io.WriterTo) ([]byte, error) {
	var b bytes.Buffer
	if _, err := w.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Save writes DIR/NAME.png and DIR/NAME.svg.
func (f *Figure) Save(dir string) error {
	_, err := f.save(dir)
	return err
}

// save is Save returning the PNG it wrote, for pages that embed it.
func (f *Figure) save(dir string) ([]byte, error) {
	png, err := f.PNG()
	if err != nil {
		return nil, err
	}
	svg, err := f.SVG()
	if err != nil {
		return nil, err
	}
	if err := WriteFile(filepath.Join(dir, f.Name+".png"), png); err != nil {
		return nil, err
	}
	return png, WriteFile(filepath.Join(dir, f.Name+".svg"), svg)
}

// withLegend draws p with its legend in a column to the right of the plot
// rather than on top of the data, where it would hide bars and points.
func withLegend(p *plot.Plot, legend plot.Legend) func(draw.Canvas) {
	return func(c draw.Canvas) {
		legend.Top, legend.Left = true, true
		r := legend.Rectangle(c)
		lw := r.Max.X - r.Min.X + vg.Points(16)
		p.Draw(draw.Crop(c, 0, -lw, 0, 0))
		// Align the legend's top with the plot area, below the title.
		top := vg.Length(0)
		if p.Title.Text != "" {
			top = p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y + p.Title.Padding
		}
		lc := draw.Crop(c, c.Max.X-c.Min.X-lw+vg.Points(8), 0, 0, -top-vg.Points(8))
		legend.Draw(lc)
	}
}

// sans is the figures' typeface: gonum's default is a serif, which reads
// worse at small sizes on screens.
func sans(size float64) font.Font {
	return font.Font{Typeface: "Liberation", Variant: "Sans", Size: vg.Points(size)}
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = sans(14)
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.X.Label.TextStyle.Font = sans(12)
	p.Y.Label.TextStyle.Font = sans(12)
	p.X.Tick.Label.Font = sans(11)
	p.Y.Tick.Label.Font = sans(11)
	p.X.Tick.Marker = niceTicks{}
	p.Y.Tick.Marker = niceTicks{}
	return p
}

func newLegend() plot.Legend {
	l := plot.NewLegend()
	l.TextStyle.Font = sans(11)
	l.Padding = vg.Points(3)
	l.ThumbnailWidth = vg.Points(18)
	return l
}

// Colours are fixed (not drawn from a palette generator) so that figures
// are comparable from run to run and readable by colour-blind readers:
// blue/orange carry the main contrast, red is reserved for what is unsafe.
var (
	colLeading  = color.NRGBA{R: 0x1f, G: 0x5f, B: 0xaa, A: 0xff}
	colDraining = color.NRGBA{R: 0x8c, G: 0xb4, B: 0xe0, A: 0xff}
	colPaused   = color.NRGBA{R: 0x55, G: 0x55, B: 0x55, A: 0xc0}
	colOverlap  = color.NRGBA{R: 0xe0, G: 0x20, B: 0x20, A: 0x55}
	colUnsafe   = color.NRGBA{R: 0xd0, G: 0x10, B: 0x10, A: 0xff}
	colSafe     = color.NRGBA{R: 0x1a, G: 0x8a, B: 0x3a, A: 0xff}
	colGrid     = color.NRGBA{R: 0xd8, G: 0xd8, B: 0xd8, A: 0xff}
	colBlack    = color.NRGBA{A: 0xff}
	colOrange   = color.NRGBA{R: 0xe6, G: 0x7e, B: 0x00, A: 0xff}
	// series colours for CDFs and other multi-series plots
	seriesColours = []color.Color{
		colLeading,
		colOrange,
		colSafe,
		color.NRGBA{R: 0x7b, G: 0x3f, B: 0x9e, A: 0xff},
		color.NRGBA{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff},
		color.NRGBA{R: 0x17, G: 0xbe, B: 0xcf, A: 0xff},
	}
)

// faultColour is the strip colour of a windowed fault type.
func faultColour(t string) color.Color {
	switch t {
	case "partition":
		return colOrange
	case "pause":
		return colPaused
	case "apiOutage":
		return color.NRGBA{R: 0x7b, G: 0x3f, B: 0x9e, A: 0xff}
	case "latency":
		return color.NRGBA{R: 0xc8, G: 0xa8, B: 0x00, A: 0xff}
	case "staleReads":
		return color.NRGBA{R: 0x17, G: 0x9e, B: 0xaf, A: 0xff}
	default:
		return color.NRGBA{R: 0x99, G: 0x99, B: 0x99, A: 0xff}
	}
}

// rect is a rectangle in data coordinates. minWidth widens a rectangle
// narrower than that on the page around its centre: a 40 ms overlap in a
// ten-minute run must still be visible.
type rect struct {
	x0, x1, y0, y1 float64
	fill           color.Color
	minWidth       vg.Length
}

// rects is a plotter of filled rectangles: the bars of the Gantt lanes,
// fault strips and shaded episodes.
type rects []rect

func (rs rects) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, r := range rs {
		x0, x1 := trX(r.x0), trX(r.x1)
		if w := x1 - x0; w < r.minWidth {
			mid := (x0 + x1) / 2
			x0, x1 = mid-r.minWidth/2, mid+r.minWidth/2
		}
		y0, y1 := trY(r.y0), trY(r.y1)
		pts := []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
		c.FillPolygon(r.fill, c.ClipPolygonXY(pts))
	}
}

func (rs rects) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, r := range rs {
		xmin, xmax = math.Min(xmin, r.x0), math.Max(xmax, r.x1)
		ymin, ymax = math.Min(ymin, r.y0), math.Max(ymax, r.y1)
	}
	return
}

// swatch is a legend thumbnail: a filled box.
type swatch struct {
	fill color.Color
	// thin draws a strip instead of a full box, as fault strips are.
	thin bool
}

func (s swatch) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	if s.thin {
		h := (r.Max.Y - r.Min.Y) / 3
		r.Min.Y += h
		r.Max.Y -= h
	} else {
		h := (r.Max.Y - r.Min.Y) / 8
		r.Min.Y += h
		r.Max.Y -= h
	}
	c.FillPolygon(s.fill, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}})
}

// glyphThumb is a legend thumbnail of one marker.
type glyphThumb draw.GlyphStyle

func (g glyphThumb) Thumbnail(c *draw.Canvas) {
	c.DrawGlyph(draw.GlyphStyle(g), c.Center())
}

// markers draws glyphs at data points (faults at an instant, chosen
// candidates).
type markers struct {
	pts   []vg.Point // in data coordinates: X, Y as float64 via vg.Length
	style draw.GlyphStyle
}

func (m markers) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, pt := range m.pts {
		q := vg.Point{X: trX(float64(pt.X)), Y: trY(float64(pt.Y))}
		if c.Contains(q) {
			c.DrawGlyph(m.style, q)
		}
	}
}

func (m markers) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, pt := range m.pts {
		xmin, xmax = math.Min(xmin, float64(pt.X)), math.Max(xmax, float64(pt.X))
		ymin, ymax = math.Min(ymin, float64(pt.Y)), math.Max(ymax, float64(pt.Y))
	}
	return
}

// niceTicks labels an axis every 1, 2 or 5 times a power of ten, or, for
// spans of minutes, every 15 s, 30 s, 1, 2, 5, 10 min..., with five to
// twelve labels, and one unlabelled tick between labels. gonum's default
// ticker labels as few as three values, too coarse to read times off.
type niceTicks struct{}

func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	step := niceStep(hi - lo)
	var ticks []plot.Tick
	first := math.Ceil(lo/step-1e-9) * step
	for i := 0; ; i++ {
		v := first + float64(i)*step
		if v > hi+step*1e-9 {
			break
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: trimFloat(v, step)})
		if m := v + step/2; m <= hi {
			ticks = append(ticks, plot.Tick{Value: m})
		}
	}
	if m := first - step/2; m >= lo {
		ticks = append(ticks, plot.Tick{Value: m})
	}
	return ticks
}

func niceStep(span float64) float64 {
	if span >= 60 {
		for _, s := range []float64{15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400} {
			if span/s <= 12 {
				return s
			}
		}
	}
	mag := math.Pow(10, math.Floor(math.Log10(span)))
	for _, m := range []float64{0.1, 0.2, 0.5, 1, 2, 5, 10} {
		if span/(m*mag) <= 12 {
			return m * mag
		}
	}
	return 10 * mag
}

// trimFloat prints v with as many decimals as the step needs.
func trimFloat(v, step float64) string {
	if math.Abs(v) < step*1e-9 {
		v = 0
	}
	dec := 0
	for s := step; s < 1 && dec < 6; s *= 10 {
		dec++
		if math.Abs(s*10-math.Round(s*10)) < 1e-9 && s*10 >= 1 {
			break
		}
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}

// colNoneT is an invisible swatch, for legend lines that explain rather
// than name a mark.
var colNoneT = color.NRGBA{}

// padAxes widens the axes by 8% of the data's span on each side, so that
// markers and their labels at the extremes are not cut by the frame.
func padAxes(p *plot.Plot, xys plotter.XYs) {
	if len(xys) == 0 {
		return
	}
	xmin, xmax, ymin, ymax := plotter.XYRange(xys)
	dx, dy := max((xmax-xmin)*0.08, 0.5), max((ymax-ymin)*0.08, 0.5)
	p.X.Min, p.X.Max = min(p.X.Min, xmin-dx), max(p.X.Max, xmax+2*dx)
	p.Y.Min, p.Y.Max = min(p.Y.Min, ymin-dy), max(p.Y.Max, ymax+dy)
}
