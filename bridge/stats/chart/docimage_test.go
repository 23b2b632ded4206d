package chart_test

import (
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/stats"
	"github.com/threadlinehq/threadline/bridge/stats/chart"
)

var updateDocImages = flag.Bool("update-doc-images", false, "regenerate docs/images/digest.png")

// digestImage is the picture of the digest in docs/statistics.md and the README.
var digestImage = filepath.Join("..", "..", "..", "docs", "images", "digest.png")

// teamWeek is a made-up week of a small team: staffed 08-20 on weekdays
// with a morning and an afternoon peak, quieter weekends, and an on-call
// person who answers the night's few conversations within hours. Waits
// grow with the queue. A fixed seed makes it the same week every time.
func teamWeek() stats.Stats {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	since := time.Date(2026, 3, 2, 0, 0, 0, 0, berlin)
	b := stats.NewBuilder(since, since.AddDate(0, 0, 7), berlin)
	rng := rand.New(rand.NewPCG(2026, 3))
	perHour := [24]float64{0.3, 0.2, 0.1, 0.1, 0.1, 0.3, 0.8, 2, 4.5, 6.5, 6, 5, 3.8, 4.5, 5.5, 5.2, 4.5, 3.4, 2.3, 1.7, 1.2, 0.9, 0.7, 0.5}
	channels := []bridge.Platform{"webchat", "webchat", "webchat", "email", "email", "telegram"}
	for day := range 7 {
		scale := 1.0
		if day >= 5 {
			scale = 0.35
		}
		for h, mean := range perHour {
			n := poisson(rng, mean*scale)
			for range n {
				created := since.AddDate(0, 0, day).Add(time.Duration(h)*time.Hour + time.Duration(rng.IntN(3600))*time.Second)
				staffed := h >= 8 && h < 20 && day < 5
				median := 6 + 1.6*mean*scale // minutes; the queue grows with the volume
				if !staffed {
					median = 45
				}
				wait := time.Duration(median * math.Exp(0.6*rng.NormFloat64()) * float64(time.Minute))
				b.AddOpened(created, created.Add(wait), channels[rng.IntN(len(channels))], "", stats.SLAMet)
			}
		}
	}
	return b.Finish()
}

// poisson draws from a Poisson distribution with the given mean (Knuth).
func poisson(rng *rand.Rand, mean float64) int {
	limit, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= limit {
			return k
		}
		k++
	}
}

// TestDigestDocImage draws the digest chart of a representative week for
// the docs. A normal run only checks that it renders at the digest's size;
// -update-doc-images writes it to docs/images/digest.png.
func TestDigestDocImage(t *testing.T) {
	png, err := chart.Hourly(teamWeek(), chart.Options{})
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, png)
	if b := img.Bounds(); b.Dx() != chart.DefaultWidth || b.Dy() != chart.DefaultHeight {
		t.Fatalf("size %v, want %dx%d", b, chart.DefaultWidth, chart.DefaultHeight)
	}
	if !*updateDocImages {
		return
	}
	if err := os.WriteFile(digestImage, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d KB)", digestImage, len(png)/1024)
}
