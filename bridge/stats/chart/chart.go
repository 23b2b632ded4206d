package chart

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/threadlinehq/threadline/bridge/stats"
)

// Default picture size in pixels: wide enough for 24 labelled hours, small
// enough to show inline in Slack and Discord.
const (
	DefaultWidth  = 900
	DefaultHeight = 500
)

// Colours (Tableau 10): readable on white and for most colour-blind readers.
const (
	blue   = rgb(0x4c78a8) // volume bars
	orange = rgb(0xf58518) // median first response
	grey   = rgb(0x79706e) // p90 first response
)

// rgb is an opaque colour as a constant.
type rgb uint32

// RGBA implements color.Color.
func (c rgb) RGBA() (r, g, b, a uint32) {
	r, g, b = uint32(c>>16&0xff), uint32(c>>8&0xff), uint32(c&0xff)
	return r | r<<8, g | g<<8, b | b<<8, 0xffff
}

// Options sizes and titles the picture; zero values take the defaults.
type Options struct {
	Width, Height int    // pixels
	Title         string // default: "Conversations by hour · <window> (<zone>)"
}

// Hourly renders s as a PNG.
func Hourly(s stats.Stats, o Options) ([]byte, error) {
	if o.Width <= 0 {
		o.Width = DefaultWidth
	}
	if o.Height <= 0 {
		o.Height = DefaultHeight
	}
	if o.Title == "" {
		o.Title = fmt.Sprintf("Conversations by hour of day · %s (%s)", window(s.Since, s.Until), s.Timezone)
	}

	volume, err := volumePlot(s, o.Title)
	if err != nil {
		return nil, err
	}
	response, err := responsePlot(s)
	if err != nil {
		return nil, err
	}
	img := image.NewRGBA(image.Rect(0, 0, o.Width, o.Height))
	c := vgimg.NewWith(vgimg.UseImage(img))
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(6), PadRight: vg.Points(10), PadY: vg.Points(8)}
	plots := [][]*plot.Plot{{volume}, {response}}
	canvases := plot.Align(plots, tiles, dc)
	volume.Draw(canvases[0][0])
	response.Draw(canvases[1][0])

	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart: encode png: %w", err)
	}
	return buf.Bytes(), nil
}

// hourAxis labels every third hour on a -0.5..23.5 axis, so bars and line
// points sit on the same x positions in both panels.
func hourAxis(p *plot.Plot) {
	p.X.Min, p.X.Max = -0.5, 23.5
	var ticks plot.ConstantTicks
	for h := range 24 {
		label := ""
		if h%3 == 0 {
			label = fmt.Sprintf("%02d:00", h)
		}
		ticks = append(ticks, plot.Tick{Value: float64(h), Label: label})
	}
	p.X.Tick.Marker = ticks
	p.X.Padding = 0
}

func volumePlot(s stats.Stats, title string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(12)
	p.Y.Label.Text = "opened"
	hourAxis(p)
	vals := make(plotter.Values, 24)
	peak := 0
	for h, n := range s.ByHour {
		vals[h] = float64(n)
		peak = max(peak, n)
	}
	bars, err := plotter.NewBarChart(vals, vg.Points(14))
	if err != nil {
		return nil, fmt.Errorf("chart: bars: %w", err)
	}
	bars.Color = blue
	bars.LineStyle.Width = 0
	p.Add(plotter.NewGrid(), bars)
	p.Y.Min, p.Y.Max = 0, float64(max(peak, 1))*1.1
	if peak == 0 {
		p.Y.Label.Text = "opened (none in this period)"
	}
	return p, nil
}

func responsePlot(s stats.Stats) (*plot.Plot, error) {
	p := plot.New()
	hourAxis(p)
	p.X.Label.Text = "hour of day the conversation was opened"
	slowest := time.Duration(0)
	for _, t := range s.ResponseByHour {
		slowest = max(slowest, t.P90)
	}
	unit, unitName := time.Minute, "minutes"
	if slowest > 3*time.Hour {
		unit, unitName = time.Hour, "hours"
	}
	p.Y.Label.Text = "first response, " + unitName
	// One line segment per run of consecutive hours with replies: a line
	// across hours without any would suggest values that do not exist.
	var runs [][]int
	for h, t := range s.ResponseByHour {
		if t.Count == 0 {
			continue
		}
		if n := len(runs); n > 0 && runs[n-1][len(runs[n-1])-1] == h-1 {
			runs[n-1] = append(runs[n-1], h)
		} else {
			runs = append(runs, []int{h})
		}
	}
	p.Add(plotter.NewGrid())
	p.Y.Min = 0
	if len(runs) == 0 {
		p.Y.Max = 1
		p.Y.Label.Text = "first response (no replies)"
		return p, nil
	}
	// Headroom above the slowest point for the legend.
	p.Y.Max = max(float64(slowest)/float64(unit)*1.3, 1)
	for _, series := range []struct {
		name  string
		value func(stats.Timing) time.Duration
		c     color.Color
		dash  bool
	}{
		{"p90", func(t stats.Timing) time.Duration { return t.P90 }, grey, true},
		{"median", func(t stats.Timing) time.Duration { return t.Median }, orange, false},
	} {
		var legend *plotter.Line
		for _, run := range runs {
			xys := make(plotter.XYs, len(run))
			for i, h := range run {
				xys[i] = plotter.XY{X: float64(h), Y: float64(series.value(s.ResponseByHour[h])) / float64(unit)}
			}
			line, points, err := plotter.NewLinePoints(xys)
			if err != nil {
				return nil, fmt.Errorf("chart: %s line: %w", series.name, err)
			}
			line.Color, line.Width = series.c, vg.Points(2)
			if series.dash {
				line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
				line.Width = vg.Points(1.5)
			}
			points.Color, points.Radius = series.c, vg.Points(2.5)
			points.Shape = draw.CircleGlyph{}
			p.Add(line, points)
			legend = line
		}
		p.Legend.Add(series.name, legend)
	}
	p.Legend.Top = true
	return p, nil
}

func window(since, until time.Time) string {
	if since.Hour() == 0 && since.Minute() == 0 && until.Hour() == 0 && until.Minute() == 0 {
		last := until.AddDate(0, 0, -1)
		if !last.After(since) {
			return since.Format("2 Jan 2006")
		}
		return since.Format("2 Jan") + " – " + last.Format("2 Jan 2006")
	}
	return since.Format("2 Jan 15:04") + " – " + until.Format("2 Jan 15:04")
}
