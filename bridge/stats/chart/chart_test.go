package chart_test

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge/stats"
	"github.com/threadlinehq/threadline/bridge/stats/chart"
)

var update = flag.Bool("update", false, "rewrite testdata/*.png")

// busyWeek is a week with a morning and an afternoon peak; answers are
// slow at night.
func busyWeek() stats.Stats {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	since := time.Date(2026, 3, 2, 0, 0, 0, 0, berlin)
	b := stats.NewBuilder(since, since.AddDate(0, 0, 7), berlin)
	volume := [24]int{1, 0, 0, 0, 0, 1, 2, 5, 12, 20, 18, 14, 9, 13, 17, 15, 11, 8, 5, 4, 3, 2, 1, 1}
	for h, n := range volume {
		for i := range n {
			created := since.AddDate(0, 0, i%7).Add(time.Duration(h)*time.Hour + time.Duration(i)*time.Minute)
			wait := time.Duration(3+i*2) * time.Minute
			if h < 7 || h > 19 {
				wait = time.Duration(60+i*30) * time.Minute
			}
			b.AddOpened(created, created.Add(wait), "webchat", "", stats.SLAMet)
		}
	}
	return b.Finish()
}

func decode(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	return img
}

// near reports whether c is within 24 of want on every channel.
func near(c color.Color, want color.RGBA) bool {
	r, g, b, _ := c.RGBA()
	d := func(x uint32, y uint8) bool { v := int(x>>8) - int(y); return v > -24 && v < 24 }
	return d(r, want.R) && d(g, want.G) && d(b, want.B)
}

// census counts pixels in rows [y0, y1): not white, bar blue, median orange.
func census(img image.Image, y0, y1 int) (ink, blue, orange int) {
	bounds := img.Bounds()
	for y := y0; y < y1; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			c := img.At(x, y)
			if r, g, b, _ := c.RGBA(); r>>8 < 250 || g>>8 < 250 || b>>8 < 250 {
				ink++
			}
			if near(c, color.RGBA{R: 0x4c, G: 0x78, B: 0xa8}) {
				blue++
			}
			if near(c, color.RGBA{R: 0xf5, G: 0x85, B: 0x18}) {
				orange++
			}
		}
	}
	return ink, blue, orange
}

func TestHourlyGolden(t *testing.T) {
	s := busyWeek()
	start := time.Now()
	got, err := chart.Hourly(s, chart.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rendered %d bytes in %v", len(got), time.Since(start))
	img := decode(t, got)
	if b := img.Bounds(); b.Dx() != chart.DefaultWidth || b.Dy() != chart.DefaultHeight {
		t.Fatalf("size %v, want %dx%d", b, chart.DefaultWidth, chart.DefaultHeight)
	}
	// Top half: the volume bars (blue); bottom half: the response lines (orange).
	h := img.Bounds().Dy()
	ink, blue, orange := census(img, 0, h/2)
	if ink < 10000 || blue < 5000 || orange > 50 {
		t.Errorf("volume panel: ink %d, bar pixels %d, line pixels %d", ink, blue, orange)
	}
	ink, blue, orange = census(img, h/2, h)
	if ink < 3000 || orange < 300 || blue > 50 {
		t.Errorf("response panel: ink %d, bar pixels %d, line pixels %d", ink, blue, orange)
	}

	again, err := chart.Hourly(s, chart.Options{})
	if err != nil || !bytes.Equal(got, again) {
		t.Fatalf("rendering the same stats twice gave different bytes (err %v)", err)
	}

	path := filepath.Join("testdata", "hourly.png")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	// Compare pixels, not bytes: a different zlib or rasteriser build may
	// encode the same picture differently. Allow 0.5% of pixels to differ.
	wimg := decode(t, want)
	diff := 0
	for y := 0; y < h; y++ {
		for x := 0; x < img.Bounds().Dx(); x++ {
			r1, g1, b1, _ := img.At(x, y).RGBA()
			r2, g2, b2, _ := wimg.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 {
				diff++
			}
		}
	}
	if limit := chart.DefaultWidth * chart.DefaultHeight / 200; diff > limit {
		t.Errorf("%d pixels differ from %s (limit %d); look at it and run go test -update if the change is intended", diff, path, limit)
	}
}

func TestHourlyEmptyAndCustomSize(t *testing.T) {
	since := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	empty := stats.NewBuilder(since, since.AddDate(0, 0, 1), time.UTC).Finish()
	b, err := chart.Hourly(empty, chart.Options{Width: 600, Height: 400, Title: "Nothing happened"})
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, b)
	if img.Bounds().Dx() != 600 || img.Bounds().Dy() != 400 {
		t.Fatalf("size %v", img.Bounds())
	}
	ink, blue, orange := census(img, 0, 400)
	if ink < 2000 || blue > 50 || orange > 50 {
		t.Errorf("empty chart: ink %d (axes and labels expected), bars %d, lines %d", ink, blue, orange)
	}
}

func BenchmarkHourly(b *testing.B) {
	s := busyWeek()
	for b.Loop() {
		if _, err := chart.Hourly(s, chart.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
