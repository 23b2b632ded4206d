package main

import (
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/sla"
	"github.com/threadlinehq/threadline/bridge/team"
)

// TestTheWidgetKnowsBusinessHours: the widget's greeting follows what the
// acknowledgement would say to a new web chat visitor: the policy's
// calendar and first-response target, or the acknowledgement's own
// calendar; 24x7 with no estimate when nothing is configured.
func TestTheWidgetKnowsBusinessHours(t *testing.T) {
	office, err := sla.NewCalendar(sla.CalendarSpec{Hours: map[string]string{"mon-fri": "09:00-17:00"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := team.New(team.Options{})
	saturday := time.Date(2030, 1, 5, 12, 0, 0, 0, time.UTC)
	monday := time.Date(2030, 1, 7, 10, 0, 0, 0, time.UTC)

	av := widgetAvailability(sla.New(sla.Options{
		Policies: []sla.Policy{{Channel: "webchat", FirstResponse: 15 * time.Minute, Calendar: office, CalendarName: "office"}}}), dir, "")
	if got := av(monday); !got.Open || got.ExpectedWait != 15*time.Minute {
		t.Errorf("Monday 10:00: %+v", got)
	}
	if got := av(saturday); got.Open || !got.Opens.Equal(time.Date(2030, 1, 7, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("Saturday: %+v, want back Monday 09:00", got)
	}

	ack := widgetAvailability(sla.New(sla.Options{Acknowledgement: sla.Acknowledgement{Calendar: office}}), dir, bridge.PriorityHigh)
	if got := ack(saturday); got.Open || got.ExpectedWait != 0 {
		t.Errorf("acknowledgement calendar, Saturday: %+v", got)
	}
	if got := widgetAvailability(sla.New(sla.Options{}), dir, "")(saturday); !got.Open || got.ExpectedWait != 0 {
		t.Errorf("nothing configured: %+v", got)
	}
}
