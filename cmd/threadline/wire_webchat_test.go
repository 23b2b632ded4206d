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
	office := sla.CalendarConfig{Timezone: "UTC", Hours: map[string]string{"mon-fri": "09:00-17:00"}}
	dir := team.New(team.Config{})
	saturday := time.Date(2030, 1, 5, 12, 0, 0, 0, time.UTC)
	monday := time.Date(2030, 1, 7, 10, 0, 0, 0, time.UTC)

	av := widgetAvailability(sla.New(sla.Config{Calendars: map[string]sla.CalendarConfig{"office": office},
		Policies: []sla.PolicyConfig{{Channel: "webchat", FirstResponse: bridge.Duration(15 * time.Minute), Calendar: "office"}}}), dir, "")
	if got := av(monday); !got.Open || got.ExpectedWait != 15*time.Minute {
		t.Errorf("Monday 10:00: %+v", got)
	}
	if got := av(saturday); got.Open || !got.Opens.Equal(time.Date(2030, 1, 7, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("Saturday: %+v, want back Monday 09:00", got)
	}

	ack := widgetAvailability(sla.New(sla.Config{Calendars: map[string]sla.CalendarConfig{"office": office},
		Acknowledgement: sla.AckConfig{Calendar: "office"}}), dir, bridge.PriorityHigh)
	if got := ack(saturday); got.Open || got.ExpectedWait != 0 {
		t.Errorf("acknowledgement calendar, Saturday: %+v", got)
	}
	if got := widgetAvailability(sla.New(sla.Config{}), dir, "")(saturday); !got.Open || got.ExpectedWait != 0 {
		t.Errorf("nothing configured: %+v", got)
	}
}
