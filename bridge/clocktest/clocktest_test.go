package clocktest

import (
	"testing"
	"time"
)

func TestTimersFireWhenTheClockPassesThem(t *testing.T) {
	c := Monday()
	start := c.Now()
	a, b := c.NewTimer(time.Minute), c.NewTimer(time.Hour)
	c.Advance(30 * time.Second)
	select {
	case <-a.C():
		t.Fatal("fired early")
	default:
	}
	c.Advance(30 * time.Second)
	if got := <-a.C(); !got.Equal(start.Add(time.Minute)) {
		t.Errorf("fired at %v", got)
	}
	if b.Stop() != true || b.Stop() != false {
		t.Error("Stop should report an armed timer once")
	}
	c.Advance(2 * time.Hour)
	select {
	case <-b.C():
		t.Fatal("a stopped timer fired")
	default:
	}
	b.Reset(time.Second)
	c.BlockUntil(1)
	c.Advance(time.Second)
	<-b.C()
	if z := c.NewTimer(0); len(z.C()) != 1 {
		t.Error("a zero timer fires at once")
	}
}
